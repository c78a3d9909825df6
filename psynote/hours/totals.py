"""Hours by category for a supervisee and a period, against their targets.

Direct client contact is counted, never typed: every session the supervisee held as its
clinician, marked attended, dated in the period, for its recorded length (start to stop).
A no-show, a cancellation or a session still only scheduled counts nothing; an attended
session without start and stop times is counted as a session but adds no minutes, and is
reported as such so the supervisee can complete it. No client is named or read here.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from psynote.hours.models import DEFAULT_CATEGORIES, Category, Entry, Licence, LicenceType
from psynote.visits.models import Session

DEFAULT_LICENCE_TYPE = "General (edit to match your state and licence)"


def default_licence_type(practice_id: int) -> LicenceType:
    """The practice's first licence type; a practice with none gets one with the four
    default categories, so that a supervisee can start logging on day one."""
    found = LicenceType.objects.filter(practice_id=practice_id).order_by("pk").first()
    if found is not None:
        return found
    licence_type, created = LicenceType.objects.get_or_create(
        practice_id=practice_id, name=DEFAULT_LICENCE_TYPE)
    if created:
        add_default_categories(licence_type)
    return licence_type


def add_default_categories(licence_type: LicenceType) -> None:
    Category.objects.bulk_create(
        Category(licence_type=licence_type, name=name, source=source, position=n)
        for n, (name, source) in enumerate(DEFAULT_CATEGORIES)
    )


def licence_type_of(user: Any) -> LicenceType:
    licence = Licence.objects.filter(user_id=user.pk).select_related("licence_type").first()
    return licence.licence_type if licence else default_licence_type(user.practice_id)


def hours_text(minutes: int) -> str:
    return f"{Decimal(minutes) / 60:.2f}"


@dataclass
class Line:
    category: Category
    minutes: int = 0
    pending_minutes: int = 0  # logged, not yet confirmed: outside the confirmed total
    sessions: int = 0
    untimed_sessions: int = 0
    target: Decimal | None = None

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def pending_hours(self) -> str:
        return hours_text(self.pending_minutes)

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return min(100, int(Decimal(self.minutes) / 60 / self.target * 100))


@dataclass
class Totals:
    supervisee: Any
    licence_type: LicenceType
    start: date
    end: date
    lines: list[Line]
    entries: list[Entry] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def total_hours(self) -> str:
        return hours_text(self.total_minutes)

    def document(self) -> dict[str, Any]:
        """What a signed report vouches for, as canonical JSON values: hours and who
        confirmed them, never a meeting note or a client."""
        return {
            "supervisee": {"id": self.supervisee.pk,
                           "name": self.supervisee.signature_name,
                           "licence_number": self.supervisee.licence_number,
                           "licence_state": self.supervisee.licence_state},
            "licence_type": self.licence_type.name,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "categories": [
                {"name": line.category.name, "source": line.category.source,
                 "minutes": line.minutes, "sessions": line.sessions,
                 "untimed_sessions": line.untimed_sessions,
                 "target_hours": str(line.target) if line.target is not None else None}
                for line in self.lines
            ],
            "entries": [
                {"id": str(e.pk), "date": e.date.isoformat(), "category": e.category.name,
                 "minutes": e.minutes, "format": e.format,
                 "supervisor": e.supervisor.signature_name,
                 "confirmed_by": e.confirmed_by.signature_name if e.confirmed_by else "",
                 "confirmed_at": e.confirmed_at.isoformat() if e.confirmed_at else ""}
                for e in self.entries if e.is_confirmed
            ],
            "total_minutes": self.total_minutes,
        }


def direct_contact(supervisee: Any, start: date, end: date) -> tuple[int, int, int]:
    """(minutes, attended sessions, attended sessions without times) in the period."""
    minutes = sessions = untimed = 0
    held = (Session.objects.attended()
            .filter(clinician_id=supervisee.pk, date__gte=start, date__lte=end)
            .only("date", "start_time", "end_time"))
    for session in held:
        sessions += 1
        length = session.minutes
        if length is None:
            untimed += 1
        else:
            minutes += length
    return minutes, sessions, untimed


def totals(supervisee: Any, start: date, end: date) -> Totals:
    licence_type = licence_type_of(supervisee)
    licence = Licence.objects.filter(user_id=supervisee.pk).first()
    targets = ({t.category_id: t.hours for t in licence.targets.all()}
               if licence is not None else {})
    entries = list(
        Entry.objects.filter(supervisee_id=supervisee.pk, date__gte=start, date__lte=end)
        .select_related("category", "supervisor", "confirmed_by")
        .order_by("date", "created_at")
    )
    used = {e.category_id for e in entries}
    lines = [
        Line(category=c, target=targets.get(c.pk))
        for c in licence_type.categories.all() if c.active or c.pk in used
    ]
    by_category = {line.category.pk: line for line in lines}
    for entry in entries:
        line = by_category.get(entry.category_id)
        if line is None:  # an entry under another licence type's category: its own line
            line = by_category[entry.category_id] = Line(category=entry.category)
            lines.append(line)
        if entry.is_confirmed:
            line.minutes += entry.minutes
        else:
            line.pending_minutes += entry.minutes
    for line in lines:
        if line.category.counted_from_sessions:
            line.minutes, line.sessions, line.untimed_sessions = direct_contact(
                supervisee, start, end)
            break
    return Totals(supervisee=supervisee, licence_type=licence_type, start=start, end=end,
                  lines=lines, entries=entries)
