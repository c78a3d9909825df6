"""Whether a progress note is part of the client's record yet.

A note signed by a supervisee in "approve before record" mode is held (`NoteReview.held`)
until a supervisor approves it: it is not listed, summarised, disclosed or exported. Every
listing of the record passes its notes through `in_record`, the one place this is decided.
No clinical app is imported here, so the notes app may use it too.
"""

from typing import Any

from django.db.models import Q, QuerySet

from psynote.supervision.access import supervisee_ids


def in_record(notes: QuerySet, viewer: Any = None) -> QuerySet:
    """`notes` (progress notes) without those held for approval. With `viewer`, the held
    notes the viewer wrote or supervises stay in (they are the ones who must act on them);
    without, for disclosures and exports, none does."""
    held = Q(supervision_review__held=True)
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        held &= ~(Q(author=viewer) | Q(author__in=supervisee_ids(viewer)))
    return notes.exclude(held)


def held_from(note: Any, viewer: Any) -> bool:
    """Whether `in_record(..., viewer)` leaves this one note out: it is held, and the viewer
    neither wrote it nor supervises its author."""
    return is_held(note) and not (
        getattr(viewer, "is_authenticated", False)
        and (note.author_id == viewer.pk or note.author_id in supervisee_ids(viewer)))


def is_held(note: Any) -> bool:
    review = getattr(note, "supervision_review", None) if note is not None else None
    return bool(review is not None and review.held)
