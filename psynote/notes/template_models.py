"""The practice's note templates as data (ADR 0015): a template, its immutable versions,
and who besides the practice admin may edit them.

A progress note points at the version it was written with (PROTECT), so a version in use
can never go, and its template neither: it can only be retired (hidden from the new-note
picker). Versions never change once written; editing a template publishes a new one.
Template text is not clinical content and is stored in the clear.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.lib.immutable import SignedRecordChange
from psynote.notes.templates import Section, Template


class TemplateVersionLocked(SignedRecordChange):
    """A published template version never changes; publish a new version instead."""


class NoteTemplate(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT,
                                 related_name="note_templates")
    key = models.SlugField(max_length=20)
    name = models.CharField(max_length=120)
    builtin = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"],
                                    name="note_template_key_unique_in_practice"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def latest_version(self) -> "NoteTemplateVersion":
        return self.versions.order_by("-number").first()  # type: ignore[no-any-return]


class NoteTemplateVersion(models.Model):
    """One published definition of a template. `sections` is a list of
    {key, label, prompt, required}; `blocks` the optional structured blocks it includes;
    `session_kinds` the session services it is offered for (empty: all)."""

    template = models.ForeignKey(NoteTemplate, on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    sections = models.JSONField()
    blocks = models.JSONField(default=list)
    session_kinds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"],
                                    name="note_template_version_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1),
                                   name="note_template_version_number_positive"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TemplateVersionLocked("a published template version never changes")
        super().save(*args, **kwargs)

    def definition(self) -> Template:
        return Template(
            key=self.template.key,
            name=self.name,
            sections=tuple(Section(key=s["key"], label=s["label"], prompt=s.get("prompt", ""),
                                   required=bool(s.get("required", True)))
                           for s in self.sections),
            blocks=tuple(self.blocks),
            session_kinds=tuple(self.session_kinds),
            version=self.number,
        )


class TemplateEditor(models.Model):
    """A clinician the practice admin allowed to add and edit note templates."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="template_editor")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
