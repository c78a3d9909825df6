"""Supervision-hour logs of pre-licensed clinicians: the categories a licence counts, the
supervisee's targets, logged supervision entries and the period reports supervisors sign.

Licensing boards want hours by category (direct client contact, individual supervision,
group supervision, other) against the requirement of the state and licence, signed by the
supervisor; EHRs do not keep them, so clinicians keep spreadsheets (guidara.com/guides/
ehr-vs-supervision-software; cred-tek.com/help/tracking-pre-licensed-supervision).
Requirements differ by state and licence, so the categories and targets are the practice's
to configure: none is shipped as law.

Direct client contact is never typed in: it is counted from the supervisee's attended
sessions (`psynote.hours.totals`). Meeting notes on an entry belong to the supervisor and
the supervisee, never to a client's record: sealed under the supervisee's own data key.
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.lib import crypto
from psynote.lib.immutable import SignedRecordChange

MAX_MINUTES = 12 * 60  # longer than a working day is a typing mistake, not a meeting


class LicenceType(models.Model):
    """A licence a supervisee works towards (e.g. "LPC, Minnesota"), with its categories."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT,
                                 related_name="licence_types")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="licence_type_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    class Source(models.TextChoices):
        SESSIONS = "sessions", "Counted from attended sessions"
        LOGGED = "logged", "Logged by the supervisee"

    licence_type = models.ForeignKey(LicenceType, on_delete=models.CASCADE,
                                     related_name="categories")
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.LOGGED)
    position = models.PositiveSmallIntegerField(default=0)
    # A retired category takes no new entries; its old entries keep counting.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "name"], name="category_name_unique"),
            # Sessions are counted once: two such categories would count each hour twice.
            models.UniqueConstraint(fields=["licence_type"], condition=models.Q(source="sessions"),
                                    name="category_one_sessions_source"),
            models.CheckConstraint(condition=models.Q(source__in=["sessions", "logged"]),
                                   name="category_source_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def counted_from_sessions(self) -> bool:
        return self.source == self.Source.SESSIONS


DEFAULT_CATEGORIES = [
    ("Direct client contact", Category.Source.SESSIONS),
    ("Individual supervision", Category.Source.LOGGED),
    ("Group supervision", Category.Source.LOGGED),
    ("Other", Category.Source.LOGGED),
]


class Licence(models.Model):
    """A supervisee's hour log settings: the licence they work towards, their targets, and
    the data key (wrapped by the master key) that seals their entries' meeting notes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                primary_key=True, related_name="hours_licence")
    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT,
                                     related_name="licences")
    wrapped_key = models.BinaryField()

    def _key_aad(self) -> bytes:
        return crypto.aad_for("hours_licence", self.user_id, "data_key")

    def new_key(self) -> None:
        self.wrapped_key = crypto.wrap(crypto.new_key(), self._key_aad())

    def data_key(self) -> bytes:
        return crypto.unwrap_remembered(self.wrapped_key, self._key_aad())


class Target(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="targets")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(max_digits=7, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["licence", "category"], name="target_unique"),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="target_not_negative"),
        ]


class EntryLocked(SignedRecordChange):
    """A confirmed entry never changes: the supervisor vouched for it as it is."""


class Entry(models.Model):
    """One logged supervision (or other) meeting of a supervisee."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    supervisee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="hours_entries")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries")
    date = models.DateField()
    minutes = models.PositiveIntegerField()
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.IN_PERSON)
    notes_ct = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0, minutes__lte=MAX_MINUTES),
                name="hours_entry_minutes_range",
            ),
            models.CheckConstraint(condition=models.Q(format__in=["in_person", "video"]),
                                   name="hours_entry_format_valid"),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True, confirmed_by__isnull=True)
                | models.Q(confirmed_at__isnull=False, confirmed_by__isnull=False),
                name="hours_entry_confirmation_together",
            ),
        ]
        indexes = [models.Index(fields=["supervisee", "date"])]

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._stored_confirmed = instance.confirmed_at is not None
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_stored_confirmed", False):
            raise EntryLocked("this entry is confirmed by the supervisor and cannot change")
        super().save(*args, **kwargs)
        self._stored_confirmed = self.confirmed_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.confirmed_at is not None:
            raise EntryLocked("this entry is confirmed by the supervisor and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def _notes_aad(self) -> bytes:
        return crypto.aad_for("hours_entry", self.pk, "notes")

    def notes(self) -> str:
        if not self.notes_ct:
            return ""
        key = self.supervisee.hours_licence.data_key()
        return crypto.open_sealed(key, self.notes_ct, self._notes_aad()).decode()

    def set_notes(self, text: str) -> None:
        if not text:
            self.notes_ct = b""
            return
        key = self.supervisee.hours_licence.data_key()
        self.notes_ct = crypto.seal(key, text.encode(), self._notes_aad())


class Report(models.Model):
    """A period report the supervisor signed: totals by category, as a PDF inside a package
    signed with the practice's Ed25519 key (the same package as exports), kept verbatim."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    supervisee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="hours_reports")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    signer_name = models.CharField(max_length=250)
    period_start = models.DateField()
    period_end = models.DateField()
    signed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64)  # SHA-256 of the canonical totals
    package = models.BinaryField()
    package_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="hours_report_period_order"),
        ]

    @property
    def filename(self) -> str:
        return f"supervision-hours-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}.zip"
