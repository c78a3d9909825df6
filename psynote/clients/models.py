import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.lib import crypto

# What `wrapped_key` holds once the record was destroyed under retention (records app):
# not empty, so `ensure_key` never makes a fresh key, and it unwraps to nothing.
SHREDDED_KEY = b"shredded"


class ClientQuerySet(models.QuerySet):
    def active(self) -> "ClientQuerySet":
        return self.filter(status=Client.Status.ACTIVE)


class Client(models.Model):
    """A person receiving care. Demographics are in clear; clinical text lives in the
    notes, sealed under this client's data key (`wrapped_key`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCHARGED = "discharged", "Discharged"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=50, blank=True)
    date_of_birth = models.DateField()
    sex_assigned_at_birth = models.CharField(
        max_length=20, blank=True, choices=[("female", "Female"), ("male", "Male"),
                                            ("intersex", "Intersex"), ("unknown", "Unknown")]
    )
    gender_identity = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    wrapped_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "discharged"]), name="client_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    @property
    def age(self) -> int:
        today = date.today()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def is_destroyed(self) -> bool:
        return bytes(self.wrapped_key or b"") == SHREDDED_KEY

    def _key_aad(self) -> bytes:
        return crypto.aad_for("clients_client", self.pk, "data_key")

    def ensure_key(self) -> None:
        if not self.wrapped_key:
            self.wrapped_key = crypto.wrap(crypto.new_key(), self._key_aad())

    def data_key(self) -> bytes:
        if not hasattr(self, "_data_key"):
            self._data_key = crypto.unwrap(self.wrapped_key, self._key_aad())
        return self._data_key

    def save(self, *args, **kwargs) -> None:
        self.ensure_key()
        super().save(*args, **kwargs)


class CareTeamMember(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary clinician"
        MEMBER = "member", "Care team member"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="care_teams")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="care_team_unique"),
        ]


class Diagnosis(models.Model):
    """An ICD-10-CM diagnosis on the chart; the code is checked against the shipped table."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        RULED_OUT = "ruled_out", "Ruled out"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField(max_length=10)
    description = models.CharField(max_length=300)
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    onset_date = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "code"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class EmergencyAccessQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> "EmergencyAccessQuerySet":
        """Grants in force at `at` (now): started, not yet expired, not ended early."""
        at = at or timezone.now()
        return self.filter(started_at__lte=at, ends_at__gt=at, ended_at__isnull=True)

    def awaiting_review(self) -> "EmergencyAccessQuerySet":
        return self.filter(reviewed_at__isnull=True)


class EmergencyAccess(models.Model):
    """A clinician's read-only, time-limited opening of the chart of a client whose care
    team they are not on: "break the glass" (45 CFR 170.315(d)(6); HIPAA 164.312(a)(2)(ii)
    emergency access procedure). `clients.access` turns an active grant into reading the
    record, never writing it; docs/adr/0008-emergency-access.md has the rules.

    The reason and the privacy officer's review comment are sealed under the client's data
    key, like the rest of what is written about the client.
    """

    class Review(models.TextChoices):
        APPROPRIATE = "appropriate", "Appropriate"
        NOT_APPROPRIATE = "not_appropriate", "Not appropriate"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT,
                               related_name="emergency_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="emergency_accesses")
    reason_ct = models.BinaryField()
    started_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    # Set when the user ends the grant before `ends_at` (or a review finds it inappropriate).
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    review = models.CharField(max_length=20, choices=Review.choices, blank=True)
    review_comment_ct = models.BinaryField(default=b"", blank=True)

    objects = EmergencyAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "emergency accesses"
        indexes = [
            models.Index(fields=["user", "ends_at"], name="emergency_user_ends"),
            models.Index(fields=["client", "started_at"], name="emergency_client_started"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("started_at")),
                                   name="emergency_access_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="emergency_access_ended_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(reviewed_at__isnull=True, reviewed_by__isnull=True, review="")
                    | models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False,
                               review__in=["appropriate", "not_appropriate"])
                ),
                name="emergency_access_review_fields_together",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency access to {self.client} by {self.user}"

    @property
    def closes_at(self) -> datetime:
        """When the grant stopped (or stops) opening the chart."""
        return min(self.ended_at, self.ends_at) if self.ended_at else self.ends_at

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.ended_at is None and self.started_at <= at < self.ends_at

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    def _aad(self, field: str) -> bytes:
        return crypto.aad_for("clients_emergencyaccess", self.pk, field)

    def reason(self) -> str:
        if not hasattr(self, "_reason"):
            self._reason = crypto.open_sealed(
                self.client.data_key(), self.reason_ct, self._aad("reason")).decode()
        return self._reason

    def set_reason(self, text: str) -> None:
        self._reason = text
        self.reason_ct = crypto.seal(self.client.data_key(), text.encode(), self._aad("reason"))

    def review_comment(self) -> str:
        if not bytes(self.review_comment_ct or b""):
            return ""
        return crypto.open_sealed(self.client.data_key(), self.review_comment_ct,
                                  self._aad("review_comment")).decode()

    def set_review_comment(self, text: str) -> None:
        self.review_comment_ct = (
            crypto.seal(self.client.data_key(), text.encode(), self._aad("review_comment"))
            if text else b"")
