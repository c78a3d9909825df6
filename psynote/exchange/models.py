"""Authorizations (releases of information), the disclosure log, Part 2 flags and the
practice's export-signing key.

Scope is stored as one boolean per record kind (not a JSON list) so that the database
itself can refuse an authorization that mixes psychotherapy notes with anything else
(45 CFR 164.508(a)(2): psychotherapy notes need an authorization that names them alone;
docs/clinical-sources.md#authorization-for-psychotherapy-notes).
"""

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.clients.models import Client
from psynote.exchange.bases import EXCEPTION_CHOICES, KINDS, RecordKind, kind_labels
from psynote.lib import crypto

_OTHER_KINDS = [kind for kind in KINDS if kind != RecordKind.PSYCHOTHERAPY_NOTES]


def _scope_q(*, prefix: str = "scope_", **values: bool) -> Q:
    return Q(**{f"{prefix}{kind}": value for kind, value in values.items()})


class AuthorizationQuerySet(models.QuerySet):
    def active(self, today: date | None = None) -> "AuthorizationQuerySet":
        return self.filter(revoked_at__isnull=True, expires_on__gte=today or timezone.localdate())


class Authorization(models.Model):
    """A client's signed authorization to disclose named parts of their record to one
    recipient, for one purpose, until an expiry date; revocable at any time."""

    class SignedForm(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", "PNG image"
        JPEG = "image/jpeg", "JPEG image"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="authorizations")
    recipient_name = models.CharField(max_length=200)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    recipient_contact = models.TextField(blank=True, help_text="Address, phone, secure email.")
    scope_demographics = models.BooleanField(default=False)
    scope_diagnoses = models.BooleanField(default=False)
    scope_progress_notes = models.BooleanField(default=False)
    scope_plans = models.BooleanField(default=False)
    scope_measures = models.BooleanField(default=False)
    scope_psychotherapy_notes = models.BooleanField(default=False)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    purpose = models.TextField()
    expires_on = models.DateField()
    # How the client signed: a scanned or photographed form, sealed under the client's
    # data key, or on screen (typed name and time).
    signed_form_ct = models.BinaryField(null=True, blank=True)
    signed_form_type = models.CharField(max_length=30, blank=True, choices=SignedForm.choices)
    signed_form_name = models.CharField(max_length=200, blank=True)
    signed_form_size = models.PositiveIntegerField(null=True, blank=True)
    signed_on_screen_name = models.CharField(max_length=200, blank=True)
    signed_on_screen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_psychotherapy_notes=False)
                | _scope_q(**dict.fromkeys(_OTHER_KINDS, False)),
                name="authorization_psychotherapy_notes_alone",
            ),
            models.CheckConstraint(
                condition=~_scope_q(**dict.fromkeys(KINDS, False)),
                name="authorization_scope_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True)
                | Q(date_to__isnull=True)
                | Q(date_from__lte=models.F("date_to")),
                name="authorization_date_range_ordered",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        signed_form_ct__isnull=False,
                        signed_on_screen_name="",
                        signed_on_screen_at__isnull=True,
                    )
                    & ~Q(signed_form_type="")
                    & Q(signed_form_size__isnull=False)
                )
                | (
                    Q(
                        signed_form_ct__isnull=True,
                        signed_form_type="",
                        signed_form_size__isnull=True,
                        signed_on_screen_at__isnull=False,
                    )
                    & ~Q(signed_on_screen_name="")
                ),
                name="authorization_signed_one_way",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True, revocation_reason="")
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="authorization_revocation_fields_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_display} · {kind_labels(self.scope)}"

    @property
    def scope(self) -> frozenset[str]:
        return frozenset(kind for kind in KINDS if getattr(self, f"scope_{kind}"))

    def set_scope(self, scope: object) -> None:
        for kind in KINDS:
            setattr(self, f"scope_{kind}", kind in scope)  # type: ignore[operator]

    @property
    def scope_display(self) -> str:
        return kind_labels(self.scope)

    @property
    def recipient_display(self) -> str:
        if self.recipient_organisation:
            return f"{self.recipient_name}, {self.recipient_organisation}"
        return self.recipient_name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, today: date | None = None) -> bool:
        return self.expires_on < (today or timezone.localdate())

    def status(self, today: date | None = None) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired(today) else "active"

    def _form_aad(self) -> bytes:
        return crypto.aad_for("exchange_authorization", self.pk, "signed_form")

    def seal_form(self, data: bytes) -> None:
        self.signed_form_ct = crypto.seal(self.client.data_key(), data, self._form_aad())
        self.signed_form_size = len(data)

    def signed_form(self) -> bytes:
        return crypto.open_sealed(self.client.data_key(), self.signed_form_ct, self._form_aad())


class Disclosure(models.Model):
    """One disclosure, as it happened. Append-only (a trigger refuses UPDATE and DELETE):
    the log is the evidence for the accounting of disclosures (45 CFR 164.528;
    docs/clinical-sources.md#accounting-of-disclosures)."""

    class Format(models.TextChoices):
        FHIR_BUNDLE = "fhir-bundle", "FHIR R4 Bundle (JSON)"
        FHIR_NDJSON = "fhir-ndjson", "FHIR R4 bulk data (NDJSON)"
        PDF = "pdf", "PDF record"

    class Channel(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API"
        CLI = "cli", "Command line"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_at = models.DateTimeField(default=timezone.now)
    recipient_name = models.CharField(max_length=200)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    recipient_contact = models.TextField(blank=True)
    scope = models.JSONField(help_text="Record kinds disclosed.")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    record_ids = models.JSONField(default=dict, help_text="Record kind → ids disclosed.")
    record_count = models.PositiveIntegerField(default=0)
    purpose = models.TextField()
    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    exception = models.CharField(max_length=40, blank=True, choices=EXCEPTION_CHOICES)
    justification = models.TextField(blank=True)
    format = models.CharField(max_length=20, choices=Format.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    package_name = models.CharField(max_length=200)
    package_sha256 = models.CharField(max_length=64)
    part2_notice = models.BooleanField(default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["client", "disclosed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(authorization__isnull=False, exception="", justification="")
                | (Q(authorization__isnull=True) & ~Q(exception="") & ~Q(justification="")),
                name="disclosure_basis_one_way",
            ),
            models.CheckConstraint(
                condition=~Q(package_sha256=""), name="disclosure_package_hashed"
            ),
        ]

    @property
    def scope_display(self) -> str:
        return kind_labels(self.scope)

    @property
    def recipient_display(self) -> str:
        if self.recipient_organisation:
            return f"{self.recipient_name}, {self.recipient_organisation}"
        return self.recipient_name

    @property
    def basis_display(self) -> str:
        if self.authorization_id:
            return "Client's authorization"
        return self.get_exception_display()

    def describe(self) -> dict[str, Any]:
        return {
            "scope": sorted(self.scope),
            "date_from": str(self.date_from or ""),
            "date_to": str(self.date_to or ""),
            "records": self.record_count,
        }


class RecordFlag(models.Model):
    """Marks a client's record as containing substance-use-disorder records under
    42 CFR Part 2, so every disclosure carries the Part 2 notice (42 CFR 2.32(a);
    docs/clinical-sources.md#42-cfr-part-2-notice)."""

    client = models.OneToOneField(
        Client, on_delete=models.PROTECT, primary_key=True, related_name="record_flag"
    )
    part2 = models.BooleanField(default=False)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)


class PracticeKey(models.Model):
    """The public half of the practice's Ed25519 export-signing key. The private half is a
    file in PSYNOTE_HOME; keeping the public key here lets a lost or swapped file be noticed
    instead of silently signing with a new key nobody has pinned."""

    practice = models.OneToOneField(
        Practice, on_delete=models.PROTECT, primary_key=True, related_name="export_key"
    )
    public_key = models.BinaryField()  # raw 32 bytes
    created_at = models.DateTimeField(default=timezone.now)
