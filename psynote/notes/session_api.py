"""`POST /api/v1/sessions`: record a session and start its progress note in one call.

A client writing a note needed two calls (the session, then its draft) and a third to fill
it; this route takes the session's fields, the client's id and an optional `note` (template,
sections to carry forward, and content) and does all of it in one transaction, through the
same checks and actions as `POST /clients/{id}/sessions` and `POST /sessions/{id}/notes`.
It writes exactly the events of the real actions: `session.create`, and `note.create`
(whose detail says when content was set) when a note is asked for. Anything refused
refuses the whole: a 400 and nothing written, not even the session.

It lives with the notes because it writes one (notes depend on visits, never the reverse).
"""

from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from pydantic import Field

from psynote.api import ERRORS, api
from psynote.clients.access import get_client_for
from psynote.notes import actions
from psynote.notes.api import NOTE_WRITTEN, NoteStart, WriteParams, written_body
from psynote.notes.changes import NoteChanges, changes_from_api
from psynote.visits.access import recording_need
from psynote.visits.api import SessionIn, SessionOut, record_session

router = Router(tags=["sessions"])


class NoteWithSession(NoteStart):
    content: NoteChanges | None = Field(
        None, description="The draft's first content, as PATCH /notes/{id} takes it"
    )


class SessionWithNoteIn(SessionIn):
    client_id: UUID
    note: NoteWithSession | None = Field(
        None, description="Start the session's progress note in the same call (the "
        "session's clinician writes it)"
    )


class SessionWithNoteOut(SessionOut):
    note: NOTE_WRITTEN | None = Field(  # type: ignore[valid-type]
        None, description="The draft started with the session (as `POST "
        "/sessions/{id}/notes` answers it; `?return=minimal` for its ids only), or null"
    )


@router.post("/sessions", response={201: SessionWithNoteOut, **ERRORS})
def create_session_with_note(
    request: HttpRequest, payload: SessionWithNoteIn, params: Query[WriteParams]
) -> HttpResponse:
    """Record a session for `client_id` and, with `note`, start (and fill) its progress
    note: one call, one transaction, one event per action (`session.create`,
    `note.create`). A 400 writes nothing."""
    user = request.user
    # Outside the transaction: a refusal's `access.denied` event must outlive the 404.
    client = get_client_for(user, payload.client_id, recording_need(user))
    with transaction.atomic():
        session = record_session(user, client, payload)
        body = SessionOut.from_orm(session).model_dump(mode="json") | {"note": None}
        if payload.note is not None:
            content = payload.note.content
            note = actions.start_note(
                by=user, session=session, template=payload.note.template,
                carry_sections=payload.note.carry_sections,
                changes=changes_from_api(content) if content is not None else None)
            note.session = session
            body["note"] = written_body(note, user, params)
    return api.create_response(request, body, status=201)
