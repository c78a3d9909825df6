"""Access to progress notes (the record) and psychotherapy notes (their author only)."""

from typing import Any

from django.core.exceptions import ValidationError

from psynote.clients.access import Need, can, clients_for, deny
from psynote.notes.models import ProgressNote, PsychotherapyNote
from psynote.supervision.record import held_from, in_record


def notes_for(user: Any, need: Need = Need.CLINICAL):  # type: ignore[no-untyped-def]
    """A note held for a supervisor's approval is not in the record: only its author and
    their supervisors reach it (docs/adr/0013-supervision-review-and-cosignature.md)."""
    return in_record(ProgressNote.objects.filter(client__in=clients_for(user, need)), user)


def get_note_for(user: Any, note_id: object, *, write: bool = False) -> ProgressNote:
    """A progress note the user may read; with write=True, only the author's own draft on
    a chart they still write (not one they only read, e.g. under emergency access)."""
    need = Need.WRITE_CLINICAL if write else Need.CLINICAL
    note = _fetch(user, note_id, need, ProgressNote.objects.all())
    if write and note.author_id != user.pk:
        raise deny(user, "progress_note", note_id, "write")
    return note


def get_note_page_for(user: Any, note_id: object) -> ProgressNote:
    """`get_note_for` (to read), with what the note's page shows beside the note: its
    co-signature and `user_writes_record` (the user may write this client's record, so add
    an addendum). Opening a note is the most frequent request."""
    note = _fetch(user, note_id, Need.CLINICAL,
                  ProgressNote.objects.select_related("cosignature"))
    note.user_writes_record = can(user, note.client, Need.WRITE_CLINICAL)
    return note


def _fetch(user: Any, note_id: object, need: Need, notes: Any) -> ProgressNote:
    """The note by its id, then the rule of `notes_for` decided for it alone: the same
    answer without compiling the care-team query into the note's (the compiling cost more
    than the rest of the page's queries together)."""
    try:
        note = notes.select_related("client", "session", "author", "supervision_review",
                                    "template_version__template").get(pk=note_id)
    except (ProgressNote.DoesNotExist, ValidationError, ValueError, TypeError):
        note = None
    if note is None or not can(user, note.client, need) or held_from(note, user):
        raise deny(user, "progress_note", note_id, need)
    return note


def psychotherapy_notes_for(user: Any):  # type: ignore[no-untyped-def]
    """Only ever the user's own: no role, not even an admin or supervisor, sees others'."""
    if not user.is_authenticated:
        return PsychotherapyNote.objects.none()
    return PsychotherapyNote.objects.filter(
        author=user, client__in=clients_for(user, Need.WRITE_CLINICAL)
    )


def get_psychotherapy_note_for(user: Any, note_id: object) -> PsychotherapyNote:
    try:
        return psychotherapy_notes_for(user).select_related("client", "author").get(pk=note_id)
    except (PsychotherapyNote.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "psychotherapy_note", note_id, "author") from None
