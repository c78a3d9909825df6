"""Searching the notes a user may read (ADR 0016).

Only clinicians and supervisors search, over the clients whose clinical record they read
through their own care teams or supervision (`clients_for(..., emergency=False)`: an
emergency-access grant opens one chart, never a search across it). The query's terms are
turned into each client's blind tokens; the database answers which notes hold all of
them; the newest candidates are opened with the client's key, checked against the
decrypted text (a 64-bit token could in principle collide) and cut into snippets.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count

from psynote.accounts.models import CLINICAL_ROLES
from psynote.clients.access import Need, clients_for, deny
from psynote.clients.models import Client, _key_aad
from psynote.lib import crypto
from psynote.notes.models import Addendum, ProgressNote
from psynote.notes.template_access import templates_for
from psynote.search import terms
from psynote.search.index import note_texts
from psynote.search.models import IndexEntry
from psynote.supervision.record import in_record

MAX_QUERY = 200
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
SNIPPET_WIDTH = 80
_MAX_TOKENS = 10_000
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Filters:
    query: str
    client_id: Any = None
    date_from: date | None = None
    date_to: date | None = None
    template: str = ""
    limit: int = DEFAULT_LIMIT


@dataclass
class Hit:
    note: ProgressNote
    # (text, matched) pieces of the snippet, so the page marks the matches without HTML.
    snippet: list[tuple[str, bool]]
    in_addendum: bool


@dataclass
class Results:
    terms: list[str]
    hits: list[Hit] = field(default_factory=list)
    candidates: int = 0


def may_search(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.practice_id is not None and user.role in CLINICAL_ROLES)


def check(filters: Filters, user: Any) -> list[str]:
    """The problems with a search, for the person at the screen; empty when it can run."""
    problems = []
    if len(filters.query) > MAX_QUERY:
        problems.append(f"the search is longer than {MAX_QUERY} characters")
    elif not terms.query_terms(filters.query):
        problems.append("type at least one word of two or more letters (common words such "
                        "as “the” or “and” are not searched)")
    elif len(terms.query_terms(filters.query)) > terms.MAX_QUERY_TERMS:
        problems.append(f"search for at most {terms.MAX_QUERY_TERMS} words at once")
    if filters.template:
        keys = sorted(templates_for(user).values_list("key", flat=True))
        if filters.template not in keys:
            problems.append(f"template must be one of {', '.join(keys)}")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        problems.append("the start date is after the end date")
    if not 1 <= filters.limit <= MAX_LIMIT:
        problems.append(f"limit must be between 1 and {MAX_LIMIT}")
    return problems


def searchable_clients(user: Any) -> Any:
    return clients_for(user, Need.CLINICAL, emergency=False)


def search_notes(user: Any, filters: Filters) -> Results:
    """Raises Http404 (audited) for a user who may not search or a client out of reach,
    ValidationError for a search that cannot run."""
    if not may_search(user):
        raise deny(user, "search", "", "search")
    if problems := check(filters, user):
        raise ValidationError(problems)
    clients = searchable_clients(user)
    if filters.client_id not in (None, ""):
        try:
            clients = clients.filter(pk=filters.client_id)
            wanted = list(clients.values_list("pk", "wrapped_key"))
        except (ValidationError, ValueError, TypeError):
            wanted = []
        if not wanted:
            raise deny(user, "client", filters.client_id, "search")
    else:
        wanted = list(clients.values_list("pk", "wrapped_key"))
    found = terms.query_terms(filters.query)
    results = Results(terms=found)
    if not wanted:
        return results
    keys = _index_keys(wanted)
    # Tokens are per client, so a note's entries all come from its own client's tokens:
    # clients can be searched in chunks, keeping each query within the database's limit
    # on parameters (SQLite: 32,766) for a supervisor of a whole practice.
    per_query = max(1, _MAX_TOKENS // len(found))
    dated: list[tuple[Any, Any]] = []
    for start in range(0, len(keys), per_query):
        tokens = [terms.token(key, term) for key in keys[start:start + per_query]
                  for term in found]
        dated += _matching_notes(tokens, len(found), filters)
    if len(keys) > per_query:
        dated.sort(reverse=True)
    matching = [note_id for _, note_id in dated]
    results.candidates = len(matching)
    allowed = {pk for pk, _ in wanted}
    results.hits = _confirmed(matching, allowed, found, filters.limit, user)
    return results


def _matching_notes(tokens: list[int], count: int, filters: Filters) -> list[tuple[Any, Any]]:
    """(day, note id) of the notes holding an entry for each of `count` terms, newest
    first: all of it from the (token, note, day) index, without reading a note."""
    entries = IndexEntry.objects.filter(token__in=tokens)
    if filters.date_from:
        entries = entries.filter(day__gte=filters.date_from)
    if filters.date_to:
        entries = entries.filter(day__lte=filters.date_to)
    if filters.template:
        entries = entries.filter(note__template=filters.template)
    grouped = (entries.values("note_id", "day").annotate(n=Count("token"))
               .filter(n=count).order_by("-day", "-note_id").values_list("day", "note_id"))
    # Raw values, as stored: converting thousands of ids to UUIDs costs more than the
    # query; only the page that is opened is converted (`_confirmed`).
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(day, note_id) for day, note_id in cursor.fetchall()]


def _index_keys(clients: list[tuple[Any, bytes]]) -> list[bytes]:
    return [terms.index_key(crypto.unwrap_remembered(wrapped, _key_aad(pk)))
            for pk, wrapped in clients]


def _confirmed(matching: list[Any], allowed: set[Any], found: list[str], limit: int,
               viewer: Any) -> list[Hit]:
    """The first `limit` notes of `matching` that really hold every term, opened; never a
    note held for a supervisor's approval that `viewer` neither wrote nor supervises."""
    hits: list[Hit] = []
    for start in range(0, len(matching), limit):
        ids = [uuid.UUID(str(raw)) for raw in matching[start:start + limit]]
        notes = in_record(ProgressNote.objects.select_related("client", "session", "author"),
                          viewer).in_bulk(ids)
        addenda: dict[Any, list[Addendum]] = {}
        for addendum in Addendum.objects.filter(note__in=ids).order_by("signed_at"):
            addenda.setdefault(addendum.note_id, []).append(addendum)
        for note_id in ids:
            note = notes.get(note_id)
            if note is None or note.client_id not in allowed:
                continue  # a token collision with another client's note: never shown
            texts = note_texts(note, addenda.get(note_id, []))
            if hit := _hit(note, texts, len(addenda.get(note_id, [])), found):
                hits.append(hit)
                if len(hits) == limit:
                    return hits
    return hits


def _hit(note: ProgressNote, texts: list[str], addenda: int, found: list[str]) -> Hit | None:
    present = {term for text in texts for term in terms.terms(text)}
    if not set(found) <= present:
        return None  # a token collision, not a match
    first_addendum = len(texts) - addenda
    for position, text in enumerate(texts):
        if pieces := snippet(text, set(found)):
            return Hit(note=note, snippet=pieces, in_addendum=position >= first_addendum)
    return None


def snippet(text: str, wanted: set[str]) -> list[tuple[str, bool]]:
    """The text around the first matching word, cut at SNIPPET_WIDTH characters each side,
    with every matching word inside it marked."""
    words = [m for m in terms._WORD.finditer(text)
             if terms.normalise(m.group()).replace("_", "") in wanted]
    if not words:
        return []
    start = max(0, words[0].start() - SNIPPET_WIDTH)
    end = min(len(text), words[0].end() + SNIPPET_WIDTH)
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    at = start
    for match in words:
        if match.end() > end:
            break
        pieces += [(text[at:match.start()], False), (match.group(), True)]
        at = match.end()
    pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return [(piece if marked else _SPACES.sub(" ", piece), marked) for piece, marked in pieces]


def client_choices(user: Any) -> list[Client]:
    return list(searchable_clients(user).order_by("last_name", "first_name"))


def run(user: Any, filters: Filters, *, own_psychotherapy: bool = False) -> Results:
    """`search_notes`, audited. The query itself is clinical content and is recorded
    nowhere: the event holds how many words were searched, the filters and the counts."""
    from psynote.audit import log

    results = search_notes(user, filters)
    log.record_by(user, "search.run", target_type="search", target_id="",
                  client_id=filters.client_id or None, detail={
                      "words": len(results.terms),
                      "date_from": str(filters.date_from or ""),
                      "date_to": str(filters.date_to or ""),
                      "template": filters.template,
                      "candidates": results.candidates,
                      "shown": len(results.hits),
                      "own_psychotherapy_notes": own_psychotherapy,
                  })
    return results
