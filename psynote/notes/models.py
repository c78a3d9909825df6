import hashlib
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.clients.models import Client
from psynote.lib import canonical_json, crypto
from psynote.lib.immutable import SignedRecordChange
from psynote.notes.templates import TEMPLATES
from psynote.visits.models import Session


class SignedRecordLocked(SignedRecordChange):
    """A signed note or addendum never changes; write an addendum instead."""


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def _sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json.dumps(payload)).hexdigest()


class LockedWhenSigned(models.Model):
    """Refuses save/delete once the row was loaded or saved as signed (the database
    triggers in the migrations refuse the same, for writes that bypass the ORM)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._stored_signed = instance.signed_at is not None
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_stored_signed", False):
            raise SignedRecordLocked(f"{self._meta.verbose_name} is signed and cannot change")
        super().save(*args, **kwargs)
        self._stored_signed = self.signed_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.signed_at is not None:
            raise SignedRecordLocked(f"{self._meta.verbose_name} is signed and cannot be deleted")
        return super().delete(*args, **kwargs)


class ProgressNoteQuerySet(models.QuerySet):
    def signed(self) -> "ProgressNoteQuerySet":
        return self.filter(signed_at__isnull=False)

    def drafts(self) -> "ProgressNoteQuerySet":
        return self.filter(signed_at__isnull=True)


class ProgressNote(LockedWhenSigned):
    """The progress note of one session: part of the designated record set.

    Its content (sections, MSE, risk block, interventions, diagnoses addressed, late-entry
    reason) is one canonical-JSON document sealed under the client's data key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="progress_notes")
    session = models.OneToOneField(Session, on_delete=models.PROTECT,
                                   related_name="progress_note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="progress_notes")
    template = models.CharField(max_length=20, choices=[(k, t.name) for k, t in TEMPLATES.items()])
    content_ct = models.BinaryField()
    risk_flagged = models.BooleanField(default=False)
    cpt_code = models.CharField(max_length=60, blank=True)
    late_entry = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    signer_name = models.CharField(max_length=250, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)

    objects = ProgressNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(signed_at__isnull=True, signed_by__isnull=True,
                             signer_name="", content_hash="")
                    | models.Q(signed_at__isnull=False, signed_by__isnull=False)
                    & ~models.Q(signer_name="") & ~models.Q(content_hash="")
                ),
                name="note_signature_fields_together",
            ),
        ]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def template_def(self):  # type: ignore[no-untyped-def]
        return TEMPLATES[self.template]

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_progressnote", self.pk, "content")

    def content(self) -> dict[str, Any]:
        if not hasattr(self, "_content"):
            plain = crypto.open_sealed(self.client.data_key(), self.content_ct, self._aad())
            self._content = canonical_json.loads(plain)
        return self._content

    def set_content(self, content: dict[str, Any]) -> None:
        self._content = content
        self.content_ct = crypto.seal(self.client.data_key(), canonical_json.dumps(content),
                                      self._aad())

    def signature_payload(self) -> dict[str, Any]:
        """Exactly what a signature vouches for; its SHA-256 is the content hash."""
        return {
            "kind": "progress_note",
            "id": str(self.pk),
            "client": str(self.client_id),
            "session": str(self.session_id),
            "author": self.author_id,
            "template": self.template,
            "content": self.content(),
            "cpt": self.cpt_code,
            "late_entry": self.late_entry,
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": _iso(self.signed_at),
        }

    def compute_hash(self) -> str:
        return _sha256(self.signature_payload())


class Addendum(LockedWhenSigned):
    """A correction or later information under a signed note; signed when written."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        LATE_INFORMATION = "late_information", "Later information"
        CLARIFICATION = "clarification", "Clarification"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    signer_name = models.CharField(max_length=250)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(content_hash="") & ~models.Q(signer_name=""),
                name="addendum_signed",
            ),
        ]

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_addendum", self.pk, "body")

    def body(self) -> str:
        if not hasattr(self, "_body"):
            key = self.note.client.data_key()
            self._body = crypto.open_sealed(key, self.body_ct, self._aad()).decode()
        return self._body

    def set_body(self, text: str) -> None:
        self._body = text
        self.body_ct = crypto.seal(self.note.client.data_key(), text.encode(), self._aad())

    def signature_payload(self) -> dict[str, Any]:
        return {
            "kind": "addendum",
            "id": str(self.pk),
            "note": str(self.note_id),
            "note_hash": self.note.content_hash,
            "author": self.author_id,
            "addendum_kind": self.kind,
            "body": self.body(),
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": _iso(self.signed_at),
        }

    def compute_hash(self) -> str:
        return _sha256(self.signature_payload())


class PsychotherapyKey(models.Model):
    """Each author's own data key for their psychotherapy notes, wrapped by the master key."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                primary_key=True, related_name="psychotherapy_key")
    wrapped_key = models.BinaryField()

    @classmethod
    def key_for(cls, user: Any) -> bytes:
        aad = crypto.aad_for("notes_psychotherapykey", user.pk, "data_key")
        row = cls.objects.filter(user=user).first()
        if row is None:
            row = cls.objects.create(user=user, wrapped_key=crypto.wrap(crypto.new_key(), aad))
        return crypto.unwrap(row.wrapped_key, aad)


class PsychotherapyNote(models.Model):
    """Process notes (45 CFR 164.501): kept apart from the record, readable by the author only,
    sealed under the author's own key. Never listed, summarised or exported for anyone else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="psychotherapy_notes")
    client = models.ForeignKey(Client, on_delete=models.PROTECT,
                               related_name="psychotherapy_notes")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="psychotherapy_notes")
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_psychotherapynote", self.pk, "body")

    def body(self) -> str:
        if not hasattr(self, "_body"):
            key = PsychotherapyKey.key_for(self.author)
            self._body = crypto.open_sealed(key, self.body_ct, self._aad()).decode()
        return self._body

    def set_body(self, text: str) -> None:
        self._body = text
        self.body_ct = crypto.seal(PsychotherapyKey.key_for(self.author), text.encode(),
                                   self._aad())
