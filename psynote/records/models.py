"""The client's rights over the record and the record's life: access and amendment
requests (DOMAIN.md §1.3, §1.4), the retention policy, legal holds and destructions (§2).

No clinical text is stored here in clear: what a client asks to amend, and why, is
sealed under the client's data key like the rest of the record.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.clients.models import Client
from psynote.lib import crypto

ACCESS_DAYS = 30  # issue 4: "due date (30 days)"; DOMAIN.md open items: recheck 164.524
AMENDMENT_DAYS = 60  # DOMAIN.md §1.4
AMENDMENT_EXTENSION_DAYS = 30  # DOMAIN.md §1.4: one extension of at most 30 days


class RetentionPolicy(models.Model):
    """A practice's retention rule. Without a row the APA default applies (DOMAIN.md §2):
    7 years after the last service, or 3 years after a minor reaches majority (18),
    whichever is later. State law may ask for longer: set it here."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, primary_key=True, related_name="retention_policy"
    )
    years_after_last_service = models.PositiveSmallIntegerField(default=7)
    years_after_majority = models.PositiveSmallIntegerField(default=3)
    age_of_majority = models.PositiveSmallIntegerField(default=18)
    updated_at = models.DateTimeField(default=timezone.now)


class AccessRequest(models.Model):
    """A client's request to inspect or copy their record (right of access)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PRODUCED = "produced", "Produced"
        WITHDRAWN = "withdrawn", "Withdrawn"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_requests")
    requested_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The export through the disclosure gate (basis: to the individual).
    disclosure = models.ForeignKey(
        "exchange.Disclosure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    produced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(produced_at__isnull=True, produced_by__isnull=True)
                    | models.Q(produced_at__isnull=False, produced_by__isnull=False)
                ),
                name="access_request_produced_pair",
            ),
        ]

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.OPEN and (today or timezone.localdate()) > self.due_on


class AmendmentRequest(models.Model):
    """A client's request to amend their record, and everything said about it, linked."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"

    class DenialReason(models.TextChoices):
        # DOMAIN.md §1.4 (45 CFR 164.526(a)(2)): the only grounds for denial.
        NOT_CREATED_HERE = (
            "not_created_here",
            ("Not created by this practice (and the originator is available to act on it)"),
        )
        NOT_IN_RECORD_SET = "not_in_record_set", "Not part of the designated record set"
        NOT_ACCESSIBLE = (
            "not_accessible",
            ("Not open to the client's access (e.g. psychotherapy notes)"),
        )
        ACCURATE = "accurate", "The record is accurate and complete"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="amendment_requests")
    note = models.ForeignKey(
        "notes.ProgressNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The note to amend.",
    )
    requested_on = models.DateField()
    due_on = models.DateField()
    extended_to = models.DateField(null=True, blank=True)
    extension_notice_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    request_ct = models.BinaryField()  # what to amend and why, sealed
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    addendum = models.ForeignKey(
        "notes.Addendum", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    denial_reason = models.CharField(max_length=30, blank=True, choices=DenialReason.choices)
    denial_ct = models.BinaryField(default=b"")  # the written denial's explanation
    disagreement_ct = models.BinaryField(default=b"")  # the client's statement
    disagreement_at = models.DateTimeField(null=True, blank=True)
    rebuttal_ct = models.BinaryField(default=b"")  # the practice's rebuttal
    rebuttal_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(extended_to__isnull=True, extension_notice_on__isnull=True)
                    | models.Q(extended_to__isnull=False, extension_notice_on__isnull=False)
                ),
                name="amendment_extension_pair",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(decided_at__isnull=True, decided_by__isnull=True)
                    | models.Q(decided_at__isnull=False, decided_by__isnull=False)
                ),
                name="amendment_decided_pair",
            ),
        ]

    @property
    def deadline(self) -> date:
        return self.extended_to or self.due_on

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.OPEN and (today or timezone.localdate()) > self.deadline

    def _seal(self, field: str, text: str) -> bytes:
        aad = crypto.aad_for("records_amendmentrequest", self.pk, field)
        return crypto.seal(self.client.data_key(), text.encode(), aad)

    def _open(self, field: str) -> str:
        blob = bytes(getattr(self, f"{field}_ct") or b"")
        if not blob:
            return ""
        aad = crypto.aad_for("records_amendmentrequest", self.pk, field)
        return crypto.open_sealed(self.client.data_key(), blob, aad).decode()

    def set_text(self, field: str, text: str) -> None:
        setattr(self, f"{field}_ct", self._seal(field, text))

    def text(self, field: str) -> str:
        return self._open(field)


class LegalHold(models.Model):
    """Litigation or investigation reasonably anticipated (DOMAIN.md §2): while any hold on
    the client is unreleased, nothing of the record is destroyed."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(released_at__isnull=True, released_by__isnull=True)
                    | models.Q(released_at__isnull=False, released_by__isnull=False)
                ),
                name="legal_hold_released_pair",
            ),
        ]

    @property
    def active(self) -> bool:
        return self.released_at is None


class Destruction(models.Model):
    """A destruction under the retention policy: requested by one person, confirmed by
    another (a privacy officer and a practice admin, either order). Once done, the row is
    the tombstone: whose record, its dates, who and when, and what was removed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second person"
        DONE = "done", "Destroyed"
        CANCELLED = "cancelled", "Cancelled"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="destructions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    last_service_on = models.DateField()
    due_on = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(confirmed_at__isnull=True, confirmed_by__isnull=True)
                    | models.Q(confirmed_at__isnull=False, confirmed_by__isnull=False)
                ),
                name="destruction_confirmed_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("requested_by")),
                name="destruction_two_people",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status="done"),
                name="destruction_once_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"tombstone #{self.pk}"
