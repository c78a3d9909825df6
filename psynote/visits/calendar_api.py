"""API routes for the calendar: the days a user's calendar shows, booking (one appointment
or a recurring series), rescheduling one session, cancelling with a reason and marking a
no-show. The pages' rules apply (`visits.calendar_actions` writes); a double booking is a
409 until the caller sends `allow_double_booking: true`."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from psynote.api import ERRORS, MAX_ID, Conflict, ErrorOut, Forbidden, InputSchema
from psynote.audit import log
from psynote.clients.access import get_client_for
from psynote.lib.clock import OptionalLocalTime
from psynote.visits import calendar, calendar_actions, cpt, recurrence
from psynote.visits.access import get_session_to_change, recording_need
from psynote.visits.api import (
    Modality,
    Place,
    Service,
    SessionOut,
    _clinician,
    _session,
    _SessionFields,
)
from psynote.visits.models import Session

router = Router(tags=["calendar"])

CancelReason = Session.CancelReason
Day = date  # a field named `date` hides the type in a schema's body


class CalendarParams(Schema):
    start: date | None = Field(None, description="First day (default today)")
    days: int = Field(7, ge=1, le=31, description="How many days, 1 to 31")
    clinician_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Front desk: one clinician's sessions only")


class CalendarItemOut(Schema):
    id: UUID
    client_id: UUID
    client_name: str
    clinician_id: int
    clinician_name: str
    date: Day
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    minutes: int | None
    modality: str
    attendance: str
    cancel_reason: str
    series_id: UUID | None

    @staticmethod
    def resolve_client_name(session: Session) -> str:
        return session.client.display_name

    @staticmethod
    def resolve_clinician_name(session: Session) -> str:
        return session.clinician.signature_name


class AppointmentIn(_SessionFields):  # local clock times, no time zone
    date: Day = Field(description="The (first) session's day: today to two years ahead")
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    service: Service = cpt.PSYCHOTHERAPY  # type: ignore[valid-type]
    modality: Modality = Session.Modality.IN_PERSON  # type: ignore[valid-type]
    place: Place = Session.Place.OFFICE  # type: ignore[valid-type]
    repeat: recurrence.Repeat = recurrence.Repeat.NONE
    count: int | None = Field(None, description=f"Sessions in the series, 1 to "
                              f"{recurrence.MAX_OCCURRENCES} (or give `until`)")
    until: Day | None = Field(None, description="The series' last day (or give `count`)")
    clinician_id: int | None = Field(None, ge=1, le=MAX_ID,
                                     description="Front desk: a clinician on the care team")
    allow_double_booking: bool = False


class AppointmentsOut(Schema):
    series_id: UUID | None
    sessions: list[SessionOut]


class RescheduleIn(_SessionFields):
    date: Day
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    allow_double_booking: bool = False


class CancelIn(InputSchema):
    reason: CancelReason
    late: bool = Field(False, description="Cancelled within the practice's notice period")


def _booking_conflict(clash: calendar_actions.DoubleBooking) -> Conflict:
    return Conflict(clash.messages[0] + " Send allow_double_booking: true to book anyway.")


@router.get("/calendar", response={200: list[CalendarItemOut], **ERRORS})
def calendar_days(request: HttpRequest, params: Query[CalendarParams]) -> list[Session]:
    """The sessions the caller's calendar shows: a clinician's own, or front desk's for
    every clinician (or one). Schedule only: no note status, no clinical content."""
    user = request.user
    if not calendar.may_view_calendar(user):
        raise Forbidden("your role has no calendar")
    first = params.start or timezone.localdate()
    calendar.check_view_day(first, "start")
    clinician = None
    if params.clinician_id is not None and calendar.sees_all_clinicians(user):
        clinician = calendar.clinicians_of(user).filter(pk=params.clinician_id).first()
        if clinician is None:
            raise ValidationError({"clinician_id": "no active clinician of the practice has "
                                                   "that id"})
    sessions = list(calendar.sessions_between(
        user, first, first + timedelta(days=params.days - 1), clinician))
    log.record_by(user, "calendar.view", target_type="user", target_id=user.pk,
                  detail={"days": params.days, "sessions": len(sessions)})
    return sessions


@router.post("/clients/{uuid:client_id}/appointments",
             response={201: AppointmentsOut, 409: ErrorOut, **ERRORS})
def book_appointments(request: HttpRequest, client_id: UUID,
                      payload: AppointmentIn) -> tuple[int, dict[str, Any]]:
    user = request.user
    client = get_client_for(user, client_id, recording_need(user))
    clinician = _clinician(user, client, payload.clinician_id)
    data = payload.model_dump(exclude={"clinician_id", "date"})
    try:
        booked = calendar_actions.book_appointments(
            by=user, client=client, clinician=clinician, first=payload.date, **data)
    except calendar_actions.DoubleBooking as clash:
        raise _booking_conflict(clash) from None
    return 201, {"series_id": booked[0].series_id,
                 "sessions": [_session(session) for session in booked]}


@router.post("/sessions/{uuid:session_id}/reschedule",
             response={200: SessionOut, 409: ErrorOut, **ERRORS})
def reschedule(request: HttpRequest, session_id: UUID, payload: RescheduleIn) -> Session:
    session = get_session_to_change(request.user, session_id)
    try:
        calendar_actions.reschedule(
            by=request.user, session=session, day=payload.date,
            start_time=payload.start_time, end_time=payload.end_time,
            allow_double_booking=payload.allow_double_booking)
    except calendar_actions.DoubleBooking as clash:
        raise _booking_conflict(clash) from None
    return _session(session)


@router.post("/sessions/{uuid:session_id}/cancel", response={200: SessionOut, **ERRORS})
def cancel(request: HttpRequest, session_id: UUID, payload: CancelIn) -> Session:
    session = get_session_to_change(request.user, session_id)
    calendar_actions.cancel(by=request.user, session=session, reason=payload.reason,
                            late=payload.late)
    return _session(session)


@router.post("/sessions/{uuid:session_id}/no-show", response={200: SessionOut, **ERRORS})
def no_show(request: HttpRequest, session_id: UUID) -> Session:
    session = get_session_to_change(request.user, session_id)
    calendar_actions.mark_no_show(by=request.user, session=session)
    return _session(session)
