"""Administrations of standard measures, self-report links and schedules.

The instrument itself is data (`library`), so these rows name it by key and keep no
copy of its wording. Answers are numbers keyed by item number. What a client answered and
how it scored (answers, total, band, flags) is sealed under the client's data key, as is a
risk alert's resolution note; the instrument key and the time stay in clear, so rows are
selected by client, instrument and date in SQL and read in Python (ADR 0002).
"""

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from psynote.clients.models import Client, SealedUnderClient
from psynote.lib import sealed
from psynote.measures import library, scoring

SELF_REPORT_LINK_DAYS = 7


def _check_instrument(key: str) -> library.Instrument:
    try:
        return library.get(key)
    except KeyError as error:
        raise ValidationError({"instrument": str(error.args[0])}) from error


class AdministrationQuerySet(models.QuerySet):
    def of(self, instrument: str) -> "AdministrationQuerySet":
        return self.filter(instrument=instrument)

    def chronological(self) -> "AdministrationQuerySet":
        return self.order_by("administered_at", "created_at")


class Administration(SealedUnderClient):
    """One completed questionnaire, scored when it was stored. The answers and the result
    (total, band, flags) are one document sealed into `facts_ct`."""

    class Source(models.TextChoices):
        IN_SESSION = "in_session", "In session"
        SELF_REPORT = "self_report", "Self-report link"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="administrations")
    instrument = models.CharField(max_length=32)
    administered_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.IN_SESSION)
    # Item number → answer value, numbers only.
    answers = sealed.json_value()
    total = sealed.integer()
    band = sealed.text()
    # Screens, critical items, percentage, prorating.
    flags = sealed.json_value()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AdministrationQuerySet.as_manager()

    class Meta:
        ordering = ["-administered_at"]
        indexes = [
            # Holds everything the latest-scores query orders by (outcomes.latest_scores),
            # so each client's latest two per instrument are read from the index alone.
            models.Index(
                fields=["client", "instrument", "administered_at", "created_at", "id"],
                name="measures_admin_latest",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=["in_session", "self_report"]),
                name="administration_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} ({self.administered_at:%Y-%m-%d})"

    @property
    def definition(self) -> library.Instrument:
        return library.get(self.instrument)

    def rescore(self, *, sex: str | None = None) -> scoring.Result:
        return scoring.score(self.definition, self.answers, sex=sex)

    def apply(self, result: scoring.Result) -> None:
        """Store a scoring result: answers as canonical numbers, total, band and flags."""
        self.answers = {str(n): v for n, v in sorted(result.answers.items())}
        self.total = result.total
        self.band = result.band or ""
        self.flags = result.flags()

    def clean(self) -> None:
        # The stored total must be what the stored answers score to; anything else is a
        # record that says two different things.
        instrument = _check_instrument(self.instrument)
        try:
            result = scoring.score(instrument, self.answers or {}, sex=self._sex())
        except scoring.ScoringError as error:
            raise ValidationError({"answers": str(error)}) from error
        if self.total != result.total:
            raise ValidationError(
                {"total": f"{self.total} does not match the answers, which score {result.total}."}
            )

    def _sex(self) -> str | None:
        return getattr(self.client, "sex_assigned_at_birth", None) or None


class SelfReportLinkQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> "SelfReportLinkQuerySet":
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


def _default_expiry() -> datetime:
    return timezone.now() + timedelta(days=SELF_REPORT_LINK_DAYS)


class SelfReportLink(models.Model):
    """A single-use, expiring link a client opens without an account to answer one
    questionnaire. Only the token's SHA-256 is stored, so the database cannot replay it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="self_report_links")
    instrument = models.CharField(max_length=32)
    expires_at = models.DateTimeField(default=_default_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    administration = models.OneToOneField(
        Administration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="self_report_link",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SelfReportLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Used and answered go together: a used link always points at its answers.
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True, administration__isnull=True)
                | models.Q(used_at__isnull=False, administration__isnull=False),
                name="self_report_link_used_with_answers",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="self_report_link_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} link for client {self.client_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.used_at is None and (now or timezone.now()) < self.expires_at

    def clean(self) -> None:
        _check_instrument(self.instrument)


class MeasureSchedule(models.Model):
    """A recurring measure for a client: every N days, or before each session."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_schedules")
    instrument = models.CharField(max_length=32)
    every_n_days = models.PositiveIntegerField(null=True, blank=True)
    before_each_session = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument"]
        constraints = [
            # Exactly one rhythm: an interval or "before each session", never both or neither.
            models.CheckConstraint(
                condition=models.Q(
                    every_n_days__isnull=False, every_n_days__gte=1, before_each_session=False
                )
                | models.Q(every_n_days__isnull=True, before_each_session=True),
                name="measure_schedule_one_rhythm",
            ),
            models.UniqueConstraint(
                fields=["client", "instrument"],
                condition=models.Q(active=True),
                name="measure_schedule_one_active_per_instrument",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.describe()}"

    def describe(self) -> str:
        if self.before_each_session:
            return "before each session"
        return f"every {self.every_n_days} days"

    def clean(self) -> None:
        _check_instrument(self.instrument)

    def due_on(self, last: datetime | None) -> date | None:
        """The date the next administration is due for an interval schedule (None for
        "before each session", which follows the schedule of sessions instead)."""
        if self.before_each_session or self.every_n_days is None:
            return None
        if last is None:
            return timezone.localdate()
        return timezone.localdate(last) + timedelta(days=self.every_n_days)


class RiskAlertQuerySet(models.QuerySet):
    def open(self) -> "RiskAlertQuerySet":
        return self.filter(resolved_at__isnull=True)


class RiskAlert(SealedUnderClient):
    """Raised when an administration answers a critical item (PHQ-9 item 9 above 0,
    docs/clinical-sources.md#critical-items). It stays open, on the chart and the caseload,
    and every progress note of the client needs a completed risk assessment until a
    clinician resolves it.

    How it was resolved and the clinician's note are sealed under the client's key
    (`facts_ct`, empty while the alert is open); that it is open or resolved, when and by
    whom stay in clear for the caseload and the note-signing rule (ADR 0002)."""

    class Resolution(models.TextChoices):
        ASSESSED = "assessed", "Risk assessed and documented in a progress note"
        CONTACTED = "contacted", "Client contacted; risk assessed and safety plan reviewed"
        REFERRED = "referred", "Referred to crisis or emergency services"
        ENTERED_IN_ERROR = "entered_in_error", "The answer was recorded in error"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="risk_alerts")
    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, related_name="risk_alert"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = sealed.text()  # a Resolution value once resolved
    note = sealed.text()  # what was done, in the clinician's words

    objects = RiskAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["client", "resolved_at"], name="measures_alert_client_open")
        ]
        constraints = [
            # Resolved means all of: when, by whom, and the sealed resolution and note;
            # open means none of them. `resolve_alert` checks the resolution is a known one.
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, resolved_by__isnull=True, facts_ct=b"")
                | models.Q(resolved_at__isnull=False, resolved_by__isnull=False)
                & ~models.Q(facts_ct=b""),
                name="risk_alert_resolution_fields_together",
            ),
        ]

    def __str__(self) -> str:
        return f"risk alert for client {self.client_id} ({self.opened_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def reasons(self) -> list[str]:
        """What raised the alert, in words: e.g. "PHQ-9 item 9 was answered above 0 (2,
        More than half the days) on 2026-11-28". Needs `administration` loaded."""
        administration = self.administration
        if not Administration.client.is_cached(administration) and RiskAlert.client.is_cached(
            self
        ):
            # Same client: its answers open with the key this alert's client already has.
            administration.client = self.client
        instrument = administration.definition
        when = timezone.localdate(administration.administered_at).isoformat()
        words = []
        for hit in administration.flags.get("critical_items", []):
            rule = next((r for r in instrument.critical_items if r.item == hit["item"]), None)
            item = instrument.item(hit["item"])
            answer = f"{hit['answer']}"
            if item is not None:
                answer += f", {item.label_for(hit['answer'])}"
            limit = f" {'above' if rule.op == '>' else rule.op} {rule.value}" if rule else ""
            words.append(
                f"{instrument.short_name} item {hit['item']} was answered{limit} "
                f"({answer}) on {when}"
            )
        return words or [f"{instrument.short_name} critical answer on {when}"]

    def get_resolution_display(self) -> str:
        return self.Resolution(self.resolution).label if self.resolution else ""

    def resolution_note(self) -> str:
        return self.note

    def set_resolution_note(self, text: str) -> None:
        self.note = text
