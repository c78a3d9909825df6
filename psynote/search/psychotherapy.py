"""The author's own search over their psychotherapy notes (ADR 0009, ADR 0016).

These notes are sealed under the author's key, which opens only in the author's own
signed-in session; a blind index keyed by anything the server holds without that secret
would let the master key answer what the notes contain. So there is no index: when the
author's key is open, their own notes are opened and scanned, one by one; when it is not,
the search says they are sealed. A clinician writes few such notes, so the scan is short.
"""

from dataclasses import dataclass
from typing import Any

from psynote.notes import keyring
from psynote.notes.access import psychotherapy_notes_for
from psynote.notes.models import PsychotherapyNote
from psynote.search import terms
from psynote.search.queries import Filters, snippet


@dataclass
class OwnHit:
    note: PsychotherapyNote
    snippet: list[tuple[str, bool]]


def search_own(user: Any, filters: Filters) -> list[OwnHit] | None:
    """The author's own matching psychotherapy notes, newest first; None while sealed."""
    if not keyring.is_open(user.pk):
        return None
    found = set(terms.query_terms(filters.query))
    notes = psychotherapy_notes_for(user).select_related("client", "session")
    if filters.client_id not in (None, ""):
        notes = notes.filter(client_id=filters.client_id)
    if filters.date_from:
        notes = notes.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        notes = notes.filter(created_at__date__lte=filters.date_to)
    hits: list[OwnHit] = []
    for note in notes.order_by("-created_at"):
        body = note.body()
        if found <= set(terms.terms(body)) and (pieces := snippet(body, found)):
            hits.append(OwnHit(note=note, snippet=pieces))
            if len(hits) == filters.limit:
                break
    return hits
