"""What other pages ask of a client's progress notes. No access check or audit here: the
caller fetched the client through an access function and audits what it shows."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from psynote.clients.models import Client
from psynote.notes.content import OBJECTIVE_RATINGS
from psynote.notes.models import ProgressNote
from psynote.supervision.record import in_record

RATING_LABELS = dict(OBJECTIVE_RATINGS)


@dataclass(frozen=True)
class ThreadEntry:
    note_id: Any
    date: date
    rating: str
    rating_label: str
    comment: str
    signer_name: str


def golden_thread(client: Client) -> dict[str, list[ThreadEntry]]:
    """Treatment-plan objective key → the signed progress notes that rated it, oldest
    session first: the trail from each objective to the sessions that worked on it.

    Decrypts every signed note of the client (a few microseconds each)."""
    notes = (
        in_record(ProgressNote.objects.signed())
        .filter(client=client)
        .select_related("client", "session")
        .order_by("session__date", "session__start_time", "signed_at")
    )
    thread: dict[str, list[ThreadEntry]] = {}
    for note in notes:
        for entry in note.content().get("objectives") or []:
            thread.setdefault(entry["objective_key"], []).append(
                ThreadEntry(
                    note_id=note.pk,
                    date=note.session.date,
                    rating=entry["rating"],
                    rating_label=RATING_LABELS.get(entry["rating"], entry["rating"]),
                    comment=entry.get("comment", ""),
                    signer_name=note.signer_name,
                )
            )
    return thread
