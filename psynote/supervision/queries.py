"""What the dashboard and pages ask about supervision, and the access function for a note
under review. The caller audits what it shows."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from psynote.clients.access import deny
from psynote.notes.access import notes_for
from psynote.notes.models import ProgressNote
from psynote.supervision.access import is_supervisor_of, supervisees_of
from psynote.supervision.models import AWAITING_SUPERVISOR, ReviewState


def notes_awaiting_review(user: Any) -> QuerySet[ProgressNote]:
    """Notes of the user's supervisees that wait for them: marked ready for review, held
    for approval, or awaiting co-signature. Oldest hand-off first."""
    return (
        notes_for(user)
        .filter(author__in=supervisees_of(user).values("pk"),
                supervision_review__state__in=AWAITING_SUPERVISOR)
        .select_related("client", "session", "author", "supervision_review")
        .order_by("supervision_review__updated_at")
    )


def notes_returned_for_revision(user: Any) -> QuerySet[ProgressNote]:
    """The user's own drafts a supervisor returned for revision, latest return first."""
    return (
        notes_for(user)
        .filter(author=user, signed_at__isnull=True,
                supervision_review__state=ReviewState.RETURNED)
        .select_related("client", "session", "supervision_review")
        .order_by("-supervision_review__updated_at")
    )


def get_note_under_review(user: Any, note_id: object) -> ProgressNote:
    """A progress note the user takes part in reviewing: its author, or a supervisor of
    its author who reads the client's record. Anyone else gets a 404, audited."""
    try:
        note = notes_for(user).select_related("client", "session", "author").get(pk=note_id)
    except (ProgressNote.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "progress_note", note_id, "review") from None
    if note.author_id != user.pk and not is_supervisor_of(user, note.author):
        raise deny(user, "progress_note", note_id, "review")
    return note
