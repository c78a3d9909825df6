"""Writing measures: administrations, risk alerts, self-report links and schedules.

Each action is one transaction that includes its audit event; a refusal raises
ValidationError with a sentence the page or the API shows as it is, and leaves nothing
written. The caller has already fetched the client through `clients.access` with the need
the action requires (WRITE_CLINICAL), except for `submit_self_report`, whose token is the
authority.
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.models import Client
from psynote.measures import library, scoring
from psynote.measures.models import (
    SELF_REPORT_LINK_DAYS,
    Administration,
    MeasureSchedule,
    RiskAlert,
    SelfReportLink,
)

# Clocks on phones and servers disagree a little; a form is not from the future.
CLOCK_SKEW = timedelta(minutes=5)
MAX_LINK_DAYS = 30
MAX_SCHEDULE_DAYS = 365
MAX_RESOLUTION_NOTE = 2000
GONE_MESSAGE = "This link has expired or was already used. Please contact your clinician."


class LinkUnusable(ValidationError):
    """The token matches no link, or its link expired or was used. One message for all,
    so the page never says which; `gone` tells the view whether a link existed."""

    def __init__(self, gone: bool) -> None:
        super().__init__(GONE_MESSAGE)
        self.gone = gone


def instrument_for(key: Any) -> library.Instrument:
    try:
        return library.get(str(key))
    except KeyError:
        known = ", ".join(sorted(library.load_all()))
        raise ValidationError(f"There is no instrument {key!r}; choose one of: {known}.") from None


def _same_practice(by: Any, client: Client) -> None:
    if by is not None and by.practice_id != client.practice_id:
        raise ValidationError("That client belongs to another practice.")


def _when(administered_at: datetime | None, client: Client) -> datetime:
    if administered_at is None:
        return timezone.now()
    if not isinstance(administered_at, datetime):
        raise ValidationError("The date and time administered is not a date and time.")
    if timezone.is_naive(administered_at):
        administered_at = timezone.make_aware(administered_at)
    if administered_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError("The date administered is in the future.")
    if timezone.localdate(administered_at) < client.date_of_birth:
        raise ValidationError("The date administered is before the client's date of birth.")
    return administered_at


def _record(
    *,
    by: Any,
    client: Client,
    instrument: library.Instrument,
    answers: Any,
    administered_at: datetime,
    source: str,
) -> Administration:
    try:
        result = scoring.score(instrument, answers, sex=client.sex_assigned_at_birth or None)
    except scoring.ScoringError as error:
        raise ValidationError(str(error)) from error
    administration = Administration(
        client=client,
        instrument=instrument.key,
        administered_at=administered_at,
        source=source,
        created_by=by,
    )
    administration.apply(result)
    administration.save()
    # Access, not content: which instrument, the score and the answers stay in the record.
    detail = {"source": source}
    if by is None:
        detail["via"] = "self-report link (no account)"
    log.record_by(
        by,
        "measure.administer",
        practice_id=client.practice_id,
        target_type="administration",
        target_id=administration.pk,
        client_id=client.pk,
        detail=detail,
    )
    if result.has_critical:
        alert = RiskAlert.objects.create(client=client, administration=administration)
        log.record_by(
            by,
            "risk_alert.open",
            practice_id=client.practice_id,
            target_type="risk_alert",
            target_id=alert.pk,
            client_id=client.pk,
            detail={"administration": str(administration.pk)},
        )
    return administration


@transaction.atomic
def administer(
    *,
    by: Any,
    client: Client,
    instrument_key: str,
    answers: Any,
    administered_at: datetime | None = None,
    source: str = Administration.Source.IN_SESSION,
) -> Administration:
    """Score and store one administration; a critical answer opens a risk alert."""
    if source not in Administration.Source.values:
        raise ValidationError(f"source must be one of {', '.join(Administration.Source.values)}")
    _same_practice(by, client)
    instrument = instrument_for(instrument_key)
    return _record(
        by=by,
        client=client,
        instrument=instrument,
        answers=answers,
        administered_at=_when(administered_at, client),
        source=source,
    )


@transaction.atomic
def resolve_alert(*, by: Any, alert: RiskAlert, resolution: str, note: str) -> RiskAlert:
    alert = RiskAlert.objects.select_for_update().select_related("client").get(pk=alert.pk)
    if not alert.is_open:
        raise ValidationError("This risk alert is already resolved.")
    _same_practice(by, alert.client)
    if resolution not in RiskAlert.Resolution.values:
        raise ValidationError("Choose how the alert was resolved.")
    note = (note or "").strip()
    if not note:
        raise ValidationError("Write a short note on what was done (for example the risk level).")
    if len(note) > MAX_RESOLUTION_NOTE:
        raise ValidationError(f"The note is longer than {MAX_RESOLUTION_NOTE} characters.")
    alert.resolved_at = timezone.now()
    alert.resolved_by = by
    alert.resolution = resolution
    alert.set_resolution_note(note)
    alert.save()
    # The event names the alert, never how it was resolved (a risk level) or the note.
    log.record_by(
        by,
        "risk_alert.resolve",
        target_type="risk_alert",
        target_id=alert.pk,
        client_id=alert.client_id,
    )
    return alert


# --- self-report links ------------------------------------------------------------------


@transaction.atomic
def create_self_report_link(
    *, by: Any, client: Client, instrument_key: str, days: int = SELF_REPORT_LINK_DAYS
) -> tuple[SelfReportLink, str]:
    """A single-use link; returns the row and the token, which exists only in this answer
    (the database keeps its SHA-256), like `ApiToken.issue`."""
    _same_practice(by, client)
    instrument = instrument_for(instrument_key)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError(f"A link lasts between 1 and {MAX_LINK_DAYS} days.")
    if client.status != Client.Status.ACTIVE:
        raise ValidationError("This client is discharged; reactivate them before sending a link.")
    token = SelfReportLink.new_token()
    now = timezone.now()
    link = SelfReportLink.objects.create(
        token_hash=SelfReportLink.hash_token(token),
        client=client,
        instrument=instrument.key,
        created_at=now,
        expires_at=now + timedelta(days=days),
        created_by=by,
    )
    log.record_by(
        by,
        "self_report.link_create",
        target_type="self_report_link",
        target_id=link.pk,
        client_id=client.pk,
        detail={"days": days},
    )
    return link, token


def _refuse(link: SelfReportLink | None) -> LinkUnusable:
    # Its own transaction: the refusal is recorded even though the caller's rolls back,
    # and the throttle counts these events.
    with transaction.atomic():
        log.record_by(
            None,
            "self_report.invalid_token",
            practice_id=link.client.practice_id if link is not None else None,
            target_type="self_report_link",
            target_id=link.pk if link is not None else "",
            detail={"reason": "unknown" if link is None else "expired or used"},
        )
    return LinkUnusable(gone=link is not None)


def _lookup(token: Any, *, lock: bool = False) -> SelfReportLink | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    links = SelfReportLink.objects.select_related("client__practice")
    if lock:
        links = links.select_for_update()
    return links.filter(token_hash=SelfReportLink.hash_token(token)).first()


def open_self_report(token: Any) -> SelfReportLink:
    """The usable link for `token`, or LinkUnusable (audited)."""
    link = _lookup(token)
    if link is None or not link.is_usable():
        raise _refuse(link)
    return link


def submit_self_report(*, token: Any, answers: Any) -> Administration:
    """Store the client's answers through their link, once. An expired, used or unknown
    token is refused (LinkUnusable, audited); answers that do not score are refused with
    the scoring message and the link stays usable so the form can be corrected."""
    try:
        with transaction.atomic():
            link = _lookup(token, lock=True)
            if link is None or not link.is_usable():
                raise LinkUnusable(gone=link is not None)
            client = link.client
            administration = _record(
                by=None,
                client=client,
                instrument=instrument_for(link.instrument),
                answers=answers,
                administered_at=timezone.now(),
                source=Administration.Source.SELF_REPORT,
            )
            link.used_at = administration.administered_at
            link.administration = administration
            link.save(update_fields=["used_at", "administration"])
            log.record_by(
                None,
                "self_report.submit",
                practice_id=client.practice_id,
                target_type="self_report_link",
                target_id=link.pk,
                client_id=client.pk,
                detail={"administration": str(administration.pk), "via": "self-report link"},
            )
            return administration
    except LinkUnusable:
        raise _refuse(_lookup(token)) from None


# --- schedules --------------------------------------------------------------------------


@transaction.atomic
def set_schedule(
    *,
    by: Any,
    client: Client,
    instrument_key: str,
    every_n_days: int | None = None,
    before_each_session: bool = False,
) -> MeasureSchedule:
    """Replace the client's schedule for this instrument with a new rhythm."""
    _same_practice(by, client)
    instrument = instrument_for(instrument_key)
    if before_each_session and every_n_days is not None:
        raise ValidationError("Choose either every N days or before each session, not both.")
    if not before_each_session:
        if isinstance(every_n_days, bool) or not isinstance(every_n_days, int):
            raise ValidationError("Give the number of days between administrations.")
        if not 1 <= every_n_days <= MAX_SCHEDULE_DAYS:
            raise ValidationError(f"The interval is between 1 and {MAX_SCHEDULE_DAYS} days.")
    MeasureSchedule.objects.filter(client=client, instrument=instrument.key, active=True).update(
        active=False
    )
    schedule = MeasureSchedule.objects.create(
        client=client,
        instrument=instrument.key,
        every_n_days=None if before_each_session else every_n_days,
        before_each_session=before_each_session,
        created_by=by,
    )
    log.record_by(
        by,
        "measure_schedule.set",
        target_type="measure_schedule",
        target_id=schedule.pk,
        client_id=client.pk,
        detail={"rhythm": schedule.describe()},
    )
    return schedule


@transaction.atomic
def stop_schedule(*, by: Any, client: Client, instrument_key: str) -> None:
    instrument = instrument_for(instrument_key)
    stopped = MeasureSchedule.objects.filter(
        client=client, instrument=instrument.key, active=True
    ).update(active=False)
    if not stopped:
        raise ValidationError(f"There is no {instrument.short_name} schedule to stop.")
    log.record_by(
        by,
        "measure_schedule.stop",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
