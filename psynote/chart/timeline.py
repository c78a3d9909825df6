"""The chart's timeline of sessions with the state of their progress notes."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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
        sessions.select_related("clinician")
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
