"""POST /api/v1/search: the search page's answer as JSON (ADR 0016).

A POST, not a GET, because the query is clinical content and must not sit in a URL (a
proxy's access log keeps URLs); for the same reason a read-only API token, which may only
GET, cannot search. Same access, filters and audit event as the page.
"""

from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, InputSchema
from psynote.clients.access import deny
from psynote.search import psychotherapy, queries

router = Router(tags=["search"])


class SearchIn(InputSchema):
    q: str = Field(max_length=queries.MAX_QUERY, description="words, all of which must occur")
    client: UUID | None = None
    date_from: date | None = Field(None, description="session date, inclusive")
    date_to: date | None = Field(None, description="session date, inclusive")
    template: str = ""
    limit: int = Field(queries.DEFAULT_LIMIT, ge=1, le=queries.MAX_LIMIT)


class Piece(Schema):
    text: str
    match: bool


class HitOut(Schema):
    note: UUID
    client: UUID
    client_name: str
    session_date: date
    template: str
    signed: bool
    in_addendum: bool
    snippet: list[Piece]


class OwnHitOut(Schema):
    psychotherapy_note: UUID
    client: UUID
    written_at: Any
    snippet: list[Piece]


class SearchOut(Schema):
    candidates: int
    hits: list[HitOut]
    own_psychotherapy_notes: list[OwnHitOut] | None = Field(
        description="the caller's own psychotherapy notes; null while their key is sealed "
        "(always, with an API token: ADR 0009)")


def _pieces(snippet: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    return [{"text": text, "match": match} for text, match in snippet]


@router.post("/search", response={200: SearchOut, **ERRORS})
def search(request: HttpRequest, body: SearchIn) -> dict[str, Any]:
    filters = queries.Filters(query=body.q.strip(), client_id=body.client,
                              date_from=body.date_from, date_to=body.date_to,
                              template=body.template, limit=body.limit)
    if not queries.may_search(request.user):
        raise deny(request.user, "search", "", "search")
    if problems := queries.check(filters, request.user):
        raise ValidationError(problems)
    own = psychotherapy.search_own(request.user, filters)
    results = queries.run(request.user, filters, own_psychotherapy=own is not None)
    return {
        "candidates": results.candidates,
        "hits": [{
            "note": hit.note.pk, "client": hit.note.client_id,
            "client_name": hit.note.client.display_name,
            "session_date": hit.note.session.date, "template": hit.note.template,
            "signed": hit.note.is_signed, "in_addendum": hit.in_addendum,
            "snippet": _pieces(hit.snippet),
        } for hit in results.hits],
        "own_psychotherapy_notes": None if own is None else [{
            "psychotherapy_note": hit.note.pk, "client": hit.note.client_id,
            "written_at": hit.note.created_at, "snippet": _pieces(hit.snippet),
        } for hit in own],
    }
