"""The client's rights over the record and the record's life: access requests (45 CFR
164.524), amendment requests (45 CFR 164.526), the retention policy, legal holds and
destructions.

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

# 45 CFR 164.524(b)(2): act on a request for access within 30 days of receiving it.
ACCESS_DAYS = 30
# 45 CFR 164.526(b)(2): act on a request for amendment within 60 days, with one extension
# of at most 30 days, given in writing inside the first 60.
AMENDMENT_DAYS = 60
AMENDMENT_EXTENSION_DAYS = 30


def _set_together(first: str, second: str, name: str) -> models.CheckConstraint:
    """Both fields empty or both filled: a decision has its time and its person, an
    extension its new date and its notice."""
    return models.CheckConstraint(
        condition=(
            models.Q(**{f"{first}__isnull": True, f"{second}__isnull": True})
            | models.Q(**{f"{first}__isnull": False, f"{second}__isnull": False})
        ),
        name=name,
    )


def _decided_by() -> models.ForeignKey:
    """Who made a decision about a request or the record, once someone has."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class RetentionPolicy(models.Model):
    """A practice's retention rule. Without a row the default of the APA Record Keeping
    Guidelines applies (American Psychological Association, 2007, Am Psychol 62(9):993-1004):
    7 years after the last service, or 3 years after a minor reaches majority (18),
    whichever is later. State law may ask for longer: set it here."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, primary_key=True, related_name="retention_policy"
    )
    years_after_last_service = models.PositiveSmallIntegerField(default=7)
    years_after_majority = models.PositiveSmallIntegerField(default=3)
    age_of_majority = models.PositiveSmallIntegerField(default=18)
    updated_at = models.DateTimeField(default=timezone.now)


class RightsRequest(models.Model):
    """What every request under a client's rights carries: when it came in, when it is
    due, who recorded it. Each kind adds its client link, statuses and decision fields."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_on = models.DateField()
    due_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["due_on"]

    @property
    def deadline(self) -> date:
        return self.due_on

    def is_overdue(self, today: date | None = None) -> bool:
        # Every kind's Status starts at OPEN ("open").
        return self.status == self.Status.OPEN and (today or timezone.localdate()) > self.deadline


class AccessRequest(RightsRequest):
    """A client's request to inspect or copy their record (right of access, 45 CFR
    164.524), due 30 days after it came in."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PRODUCED = "produced", "Produced"
        WITHDRAWN = "withdrawn", "Withdrawn"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # The export through the disclosure gate (basis: to the individual).
    disclosure = models.ForeignKey(
        "exchange.Disclosure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    produced_by = _decided_by()
    produced_at = models.DateTimeField(null=True, blank=True)

    class Meta(RightsRequest.Meta):
        constraints = [
            _set_together("produced_at", "produced_by", name="access_request_produced_pair"),
        ]


class AmendmentRequest(RightsRequest):
    """A client's request to amend their record (45 CFR 164.526), and everything said
    about it, linked."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"

    class DenialReason(models.TextChoices):
        # 45 CFR 164.526(a)(2): the only grounds for denial.
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

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="amendment_requests")
    note = models.ForeignKey(
        "notes.ProgressNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The note to amend.",
    )
    extended_to = models.DateField(null=True, blank=True)
    extension_notice_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    request_ct = models.BinaryField()  # what to amend and why, sealed
    decided_by = _decided_by()
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

    class Meta(RightsRequest.Meta):
        constraints = [
            _set_together("extended_to", "extension_notice_on", name="amendment_extension_pair"),
            _set_together("decided_at", "decided_by", name="amendment_decided_pair"),
        ]

    @property
    def deadline(self) -> date:
        return self.extended_to or self.due_on

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
    """A legal hold: the duty to preserve records starts once litigation or an
    investigation is reasonably anticipated, not only when it is filed, and suspends
    routine destruction. While any hold on the client is unreleased, nothing of the
    record is destroyed."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = _decided_by()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            _set_together("released_at", "released_by", name="legal_hold_released_pair"),
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
    confirmed_by = _decided_by()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            _set_together("confirmed_at", "confirmed_by", name="destruction_confirmed_pair"),
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
