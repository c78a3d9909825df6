"""Keeping the blind index in step with the notes (ADR 0016).

Every save of a progress note or addendum re-derives that note's tokens in the same
transaction (the signal handlers below; the note actions are atomic). A destroyed record
loses its entries with its key (`forget_client`, called by the destruction). `rebuild`
makes the whole index again from the notes (`psynote reindex`).
"""

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from psynote.clients.models import SHREDDED_KEY, Client
from psynote.notes.models import Addendum, ProgressNote
from psynote.search import terms
from psynote.search.models import IndexEntry
from psynote.visits.models import Session

_BATCH = 5000
_CLIENTS_PER_TRANSACTION = 50
_NOTE_FIELD = IndexEntry._meta.get_field("note").target_field
_DAY_FIELD = IndexEntry._meta.get_field("day")
_INSERT = (f"INSERT INTO {IndexEntry._meta.db_table} (token, note_id, day) "  # noqa: S608
           "VALUES (%s, %s, %s)")


def note_texts(note: ProgressNote, addenda: list[Addendum] | None = None) -> list[str]:
    """The text the index (and the snippets) read: the note's free text, then its addenda."""
    if addenda is None:
        addenda = list(Addendum.objects.filter(note=note).order_by("signed_at"))
    for addendum in addenda:
        addendum.note = note  # opens under the same client key, no query
    return terms.content_texts(note.content()) + [a.body() for a in addenda]


def index_note(note: ProgressNote, *, created: bool = False) -> None:
    """Make the note's entries match its text. Every save of a note calls this, so it
    reads only what it cannot know: a note just created has no entries yet, and a draft
    no addenda (they go under signed notes only)."""
    if note.client.is_destroyed:
        return
    addenda = [] if created or not note.is_signed else None
    wanted = terms.tokens(terms.index_key(note.client.data_key()), note_texts(note, addenda))
    day = note.session.date
    stored: set[int] = set()
    moved = False
    if not created:
        for token, stored_day in IndexEntry.objects.filter(note=note).values_list("token",
                                                                                  "day"):
            stored.add(token)
            moved = moved or stored_day != day
    if stale := stored - wanted:
        IndexEntry.objects.filter(note=note, token__in=stale).delete()
    if new := wanted - stored:
        IndexEntry.objects.bulk_create(
            [IndexEntry(note_id=note.pk, token=t, day=day) for t in new], batch_size=_BATCH)
    if moved:
        IndexEntry.objects.filter(note=note).exclude(day=day).update(day=day)


def on_note_saved(sender: Any, instance: ProgressNote, raw: bool = False,
                  created: bool = False, **_: Any) -> None:
    if not raw:
        index_note(instance, created=created)


def on_addendum_saved(sender: Any, instance: Addendum, raw: bool = False, **_: Any) -> None:
    if not raw:
        index_note(instance.note)


def on_session_saved(sender: Any, instance: Session, raw: bool = False,
                     created: bool = False, **_: Any) -> None:
    """A session moved to another day moves its note's entries with it."""
    if raw or created:
        return  # a new session has no note yet
    # The note's id first, then an update by it: an update through a join (a subquery over
    # the whole index) took seconds per session on PostgreSQL with a large index.
    note_id = ProgressNote.objects.filter(session=instance).values_list("pk", flat=True).first()
    if note_id is not None:
        IndexEntry.objects.filter(note_id=note_id).exclude(day=instance.date).update(
            day=instance.date)


def forget_client(client: Client) -> int:
    """Delete the entries of every note of the client; the count deleted."""
    notes = ProgressNote.objects.filter(client_id=client.pk).values("pk")
    deleted, _ = IndexEntry.objects.filter(note_id__in=notes).delete()
    return deleted


def rebuild(practice_id: int | None = None, log: Callable[[str], None] = lambda _: None
            ) -> tuple[int, int]:
    """Make the index again from the notes, some clients per transaction; (notes, entries).
    The client ids are read first: an open cursor would keep SQLite from checkpointing."""
    clients = Client.objects.exclude(wrapped_key=SHREDDED_KEY).order_by("pk")
    if practice_id is not None:
        clients = clients.filter(practice_id=practice_id)
    ids = list(clients.values_list("pk", flat=True))
    # Entries whose note is gone (deleted outside the application) belong to no client.
    IndexEntry.objects.exclude(note_id__in=ProgressNote.objects.values("pk")).delete()
    note_count = entry_count = 0
    for start in range(0, len(ids), _CLIENTS_PER_TRANSACTION):
        notes, entries = _rebuild_clients(ids[start:start + _CLIENTS_PER_TRANSACTION])
        if (note_count + notes) // 10_000 > note_count // 10_000:
            log(f"  {note_count + notes:,} notes indexed")
        note_count, entry_count = note_count + notes, entry_count + entries
    return note_count, entry_count


@transaction.atomic
def _rebuild_clients(ids: list[Any]) -> tuple[int, int]:
    notes = entries = 0
    for client in Client.objects.filter(pk__in=ids).order_by("pk"):
        forget_client(client)
        key = terms.index_key(client.data_key())
        addenda: dict[Any, list[Addendum]] = {}
        for addendum in Addendum.objects.filter(note__client=client).order_by("signed_at"):
            addenda.setdefault(addendum.note_id, []).append(addendum)
        rows: list[tuple[int, Any, Any]] = []
        for note in (ProgressNote.objects.filter(client=client).select_related("session")
                     .order_by("pk")):
            note.client = client
            stored_id = _NOTE_FIELD.get_db_prep_value(note.pk, connection)
            day = _DAY_FIELD.get_db_prep_value(note.session.date, connection)
            rows += [(value, stored_id, day)
                     for value in terms.tokens(key, note_texts(note, addenda.get(note.pk, [])))]
            notes += 1
        # In token order, neighbouring inserts land on the same index pages; and without
        # building a model instance per row (millions on a large practice).
        rows.sort()
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT, rows)
        entries += len(rows)
    return notes, entries
