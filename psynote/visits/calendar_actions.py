"""Writes behind the calendar: booking (one appointment or a recurring series),
rescheduling, cancelling, marking a no-show, and the clinician's feed secret. Each is one
transaction with its audit event; a double booking is refused unless the caller confirms
it (`DoubleBooking` carries what it clashes with)."""

import hashlib
import secrets
import uuid
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.models import Client
from psynote.visits import calendar, recurrence
from psynote.visits.actions import create_session
from psynote.visits.models import CalendarFeed, Session, stop_time_problem

Attendance = Session.Attendance


class DoubleBooking(ValidationError):
    def __init__(self, found: list[Session]) -> None:
        self.sessions = found
        super().__init__(calendar.clash_message(found))


def _check_times(start: time | None, end: time | None) -> None:
    if start is None:
        raise ValidationError({"start_time": "Give the appointment's start time."})
    if end is None:
        raise ValidationError({"end_time": "Give the appointment's stop time."})
    if end == start:
        raise ValidationError({"end_time": "The stop time must be after the start time."})
    if problem := stop_time_problem(start, end):
        raise ValidationError({"end_time": problem})


@transaction.atomic
def book_appointments(*, by: Any, client: Client, clinician: Any, first: date, start_time: time,
                      end_time: time, repeat: str = recurrence.Repeat.NONE,
                      count: int | None = None, until: date | None = None,
                      allow_double_booking: bool = False, **fields: Any) -> list[Session]:
    """Schedule one appointment, or a weekly / fortnightly series (linked by a series id).
    Nothing is written when any date is refused or would double-book without consent."""
    _check_times(start_time, end_time)
    days = recurrence.dates(first, repeat, count=count, until=until)
    found = calendar.clashes(clinician, [(day, start_time, end_time) for day in days])
    if found and not allow_double_booking:
        raise DoubleBooking(found)
    series = uuid.uuid4() if len(days) > 1 else None
    sessions = []
    for day in days:
        session = create_session(by=by, client=client, clinician=clinician, date=day,
                                 start_time=start_time, end_time=end_time,
                                 attendance=Attendance.SCHEDULED, **fields)
        if series is not None:
            session.series_id = series
            session.save(update_fields=["series_id"])
        sessions.append(session)
    if series is not None:
        log.record_by(by, "session.series_book", target_type="session_series", target_id=series,
                      client_id=client.pk,
                      detail={"sessions": len(sessions), "repeat": str(repeat),
                              "double_booked": bool(found)})
    return sessions


def _scheduled(session: Session, doing: str) -> Session:
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.attendance != Attendance.SCHEDULED:
        raise ValidationError(
            f"Only a scheduled session can be {doing}; this one is "
            f"{locked.get_attendance_display().lower()}.")
    return locked


@transaction.atomic
def reschedule(*, by: Any, session: Session, day: date, start_time: time, end_time: time,
               allow_double_booking: bool = False) -> Session:
    """Move one scheduled session (one occurrence of a series: the others stay put)."""
    session = _scheduled(session, "rescheduled")
    _check_times(start_time, end_time)
    recurrence.check_day(day)
    found = calendar.clashes(session.clinician, [(day, start_time, end_time)],
                             ignore=session.pk)
    if found and not allow_double_booking:
        raise DoubleBooking(found)
    moved_from = session.date
    session.date, session.start_time, session.end_time = day, start_time, end_time
    session.full_clean(exclude=["client", "clinician"])
    session.save(update_fields=["date", "start_time", "end_time"])
    log.record_by(by, "session.reschedule", target_type="session", target_id=session.pk,
                  client_id=session.client_id,
                  detail={"days_moved": (day - moved_from).days, "double_booked": bool(found)})
    return session


@transaction.atomic
def cancel(*, by: Any, session: Session, reason: str, late: bool = False) -> Session:
    """Cancel a scheduled session, with who called it off; a late cancellation is marked
    as such (practices charge or count those differently)."""
    if reason not in Session.CancelReason.values:
        raise ValidationError({"reason": "Choose who or what cancelled the session."})
    session = _scheduled(session, "cancelled")
    session.attendance = Attendance.LATE_CANCELLED if late else Attendance.CANCELLED
    session.cancel_reason = reason
    session.save(update_fields=["attendance", "cancel_reason"])
    log.record_by(by, "session.cancel", target_type="session", target_id=session.pk,
                  client_id=session.client_id, detail={"reason": reason, "late": late})
    return session


@transaction.atomic
def mark_no_show(*, by: Any, session: Session) -> Session:
    session = _scheduled(session, "marked a no-show")
    if session.date > timezone.localdate():
        raise ValidationError(
            f"The session of {session.date:%Y-%m-%d} has not happened yet: it cannot be a "
            "no-show before its day.")
    session.attendance = Attendance.NO_SHOW
    session.save(update_fields=["attendance"])
    log.record_by(by, "session.no_show", target_type="session", target_id=session.pk,
                  client_id=session.client_id)
    return session


# --- the iCalendar feed's secret --------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def reset_feed(*, by: Any) -> str:
    """A new secret for the user's feed (the old URL stops working at once): returned
    once, only its hash kept."""
    secret = "cal_" + secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        clinician=by, defaults={"token_hash": _hash(secret), "created_at": timezone.now()})
    log.record_by(by, "calendar_feed.reset", target_type="user", target_id=by.pk)
    return secret


@transaction.atomic
def turn_off_feed(*, by: Any) -> None:
    CalendarFeed.objects.filter(clinician=by).delete()
    log.record_by(by, "calendar_feed.off", target_type="user", target_id=by.pk)


def feed_owner(secret: str) -> Any:
    """The active clinician whose feed this secret opens, or None."""
    if not secret.startswith("cal_") or len(secret) > 100:
        return None
    feed = CalendarFeed.objects.select_related("clinician").filter(
        token_hash=_hash(secret)).first()
    if feed is None or not feed.clinician.is_active or not feed.clinician.is_clinical:
        return None
    return feed.clinician
