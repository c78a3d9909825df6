"""The calendar: whose sessions a user sees by day and week, and double-booking.

A clinician sees their own sessions; front desk sees every clinician's (one or all) but
only the schedule: client name, time, modality and attendance, never note status. The
week is one query however many sessions it holds (client and clinician joined)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from psynote.accounts.models import CLINICAL_ROLES, Role, User
from psynote.clients.access import Need
from psynote.visits.access import sessions_for
from psynote.visits.models import Session

Attendance = Session.Attendance
# Sessions that hold the clinician's time: a cancelled slot is free again.
HOLDS_TIME = (Attendance.SCHEDULED, Attendance.ATTENDED)
# How far from today the calendar pages go (a mistyped year is an error, not a 500).
VIEW_RANGE = timedelta(days=10 * 366)


def may_view_calendar(user: Any) -> bool:
    return user.is_authenticated and user.practice_id is not None and (
        user.is_clinical or user.role == Role.FRONT_DESK)


def sees_all_clinicians(user: Any) -> bool:
    """Front desk books for everyone; a clinician's calendar is their own."""
    return user.role == Role.FRONT_DESK


def clinicians_of(user: Any) -> QuerySet[User]:
    return User.objects.filter(
        practice_id=user.practice_id, role__in=CLINICAL_ROLES, is_active=True
    ).order_by("last_name", "first_name")


def check_view_day(day: date, field: str = "date") -> None:
    today = timezone.localdate()
    if abs(day - today) > VIEW_RANGE:
        raise ValidationError({field: "Choose a date within ten years of today."})


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())  # Monday


def sessions_between(user: Any, first: date, last: date,
                     clinician: User | None = None) -> QuerySet[Session]:
    """The sessions the user's calendar shows from `first` to `last` (both included)."""
    sessions = sessions_for(user, Need.SCHEDULE).filter(date__range=(first, last))
    if not sees_all_clinicians(user):
        sessions = sessions.filter(clinician=user)
    elif clinician is not None:
        sessions = sessions.filter(clinician=clinician)
    return sessions.select_related("client", "clinician").order_by(
        "date", "start_time", "clinician__last_name")


@dataclass
class Day:
    day: date
    sessions: list[Session] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def days(user: Any, first: date, count: int, clinician: User | None = None) -> list[Day]:
    result = [Day(first + timedelta(days=n)) for n in range(count)]
    by_day = {d.day: d for d in result}
    for session in sessions_between(user, first, first + timedelta(days=count - 1), clinician):
        by_day[session.date].sessions.append(session)
    return result


# --- double-booking ---------------------------------------------------------------------


def _span(day: date, start: time | None, end: time | None) -> tuple[datetime, datetime]:
    begins = datetime.combine(day, start or time.min)
    if start is None:  # no time given: the whole day
        return begins, begins + timedelta(days=1)
    ends = datetime.combine(day, end) if end is not None else begins + timedelta(minutes=50)
    if ends <= begins:  # crosses midnight (the model's rule)
        ends += timedelta(days=1)
    return begins, ends


def clashes(clinician: Any, slots: list[tuple[date, time | None, time | None]], *,
            ignore: Any = None) -> list[Session]:
    """The clinician's sessions holding time that overlaps any of the slots (one query).
    `ignore` is the session being moved."""
    if not slots:
        return []
    wanted = [_span(*slot) for slot in slots]
    days_asked = {slot[0] for slot in slots} | {slot[0] - timedelta(days=1) for slot in slots}
    candidates = Session.objects.filter(
        clinician=clinician, date__in=days_asked, attendance__in=HOLDS_TIME
    ).order_by("date", "start_time")
    if ignore is not None:
        candidates = candidates.exclude(pk=ignore)
    found = []
    for session in candidates:
        begins, ends = _span(session.date, session.start_time, session.end_time)
        if any(begins < other_end and other_begin < ends for other_begin, other_end in wanted):
            found.append(session)
    return found


def clash_message(found: list[Session]) -> str:
    listed = ", ".join(
        f"{s.date:%a %Y-%m-%d}" + (f" {s.start_time:%H:%M}" if s.start_time else "")
        for s in found[:5]
    )
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    return (f"The clinician already has {len(found)} session{'s' if len(found) != 1 else ''} "
            f"at that time ({listed}{more}). Book anyway only if the double booking is meant.")
