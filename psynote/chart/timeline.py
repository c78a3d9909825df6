"""The chart's timeline of sessions with the state of their progress notes."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.dates import WEEKDAYS_ABBR

from psynote.chart.links import link_maker
from psynote.notes.models import Addendum
from psynote.visits.models import Session

Attendance = Session.Attendance


@dataclass(frozen=True)
class NoteStatus:
    key: str
    label: str
    badge: str  # css modifier of .badge


def with_notes(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with their note's state as plain columns: no ciphertext is loaded."""
    addenda = (
        Addendum.objects.filter(note__session=OuterRef("pk"))
        .order_by()
        .values("note")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        # One clinician (or a few) for all the rows: fetched once and shared, not a user
        # built per session by a join.
        sessions.prefetch_related("clinician")
        .annotate(
            note_id=F("progress_note__id"),
            note_signed_at=F("progress_note__signed_at"),
            note_late_entry=F("progress_note__late_entry"),
            note_risk=F("progress_note__risk_flagged"),
            note_review=F("progress_note__supervision_review__state"),
            addenda_count=Coalesce(Subquery(addenda, output_field=IntegerField()), Value(0)),
        )
        .order_by("-date", "-start_time")
    )


def _labels(field: str) -> dict[str, str]:
    return {key: str(label) for key, label in Session._meta.get_field(field).flatchoices}


def day_text(day: date) -> str:
    """The template filter `date:"D Y-m-d"`, spelled out."""
    return f"{WEEKDAYS_ABBR[day.weekday()]} {day.year:04d}-{day.month:02d}-{day.day:02d}"


def _hours(session: Session) -> str:
    if session.start_time is None:
        return "—"
    if session.end_time is None:
        return f"{session.start_time:%H:%M}"
    later = " next day" if session.crosses_midnight else ""
    return f"{session.start_time:%H:%M}–{session.end_time:%H:%M}{later}"


def rows(sessions: QuerySet[Session]) -> list[Session]:
    """The sessions with their row of the timeline prepared: links (`note_link` blank
    without a note), day, hours and choice labels. Rendered per row, the `{% url %}`s,
    date filters and `get_..._display` calls were most of a long chart's time."""
    result = list(sessions)
    session_link, note_link = link_maker("session_detail"), link_maker("note_detail")
    services, modalities, attendances = (
        _labels("service"), _labels("modality"), _labels("attendance"))
    for session in result:
        session.link = session_link(session.pk)
        note_id = getattr(session, "note_id", None)
        session.note_link = note_link(note_id) if note_id is not None else ""
        session.day_text, session.hours_text = day_text(session.date), _hours(session)
        session.service_label = services.get(session.service, session.service)
        session.modality_label = modalities.get(session.modality, session.modality)
        session.attendance_label = attendances.get(session.attendance, session.attendance)
    return result


# A supervisee's note in review (psynote.supervision): its state says more than "draft".
_REVIEW_STATUS = {
    "ready_for_review": NoteStatus("ready_for_review", "Draft · ready for review", "warn"),
    "returned": NoteStatus("returned", "Draft · returned for revision", "warn"),
    # Held out of the record until the supervisor approves: not "Signed" for anyone.
    "awaiting_approval": NoteStatus("awaiting_approval", "Awaiting supervisor approval",
                                    "warn"),
    "awaiting_cosignature": NoteStatus("awaiting_cosignature",
                                       "Signed · awaiting co-signature", "warn"),
}


def note_status(session: Any) -> NoteStatus:
    if session.note_id is not None:
        review = getattr(session, "note_review", None)
        if review in _REVIEW_STATUS:
            return _REVIEW_STATUS[review]
        if session.note_signed_at is None:
            return NoteStatus("draft", "Draft", "warn")
        if session.note_late_entry:
            return NoteStatus("late", "Signed · late entry", "ok")
        return NoteStatus("signed", "Signed", "ok")
    if session.attendance == Attendance.ATTENDED:
        return NoteStatus("needs_note", "Needs note", "danger")
    if session.attendance == Attendance.SCHEDULED:
        return NoteStatus("scheduled", "Scheduled", "")
    return NoteStatus("no_note", "No note needed", "")
