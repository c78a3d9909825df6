"""API routes for progress notes, addenda and psychotherapy notes.

The same rules as the note pages (`notes.views`, `notes.psychotherapy_views`): the author
edits and signs their own draft; whoever may read the client's record reads the note; a
clinician on the care team adds addenda under a signed note. Psychotherapy notes are their
author's alone: they appear in no route but their own, and another user gets a 404 (or an
empty list). Their text opens only with the author's own secret, in the author's signed-in
browser session (ADR 0009): called with an API token, reading, writing or editing one
answers 403 with a sentence saying so; the list (dates, no text) still answers.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from psynote.api import ERRORS, Conflict, ErrorOut, InputSchema, PageOut, PageParams, api, page
from psynote.audit import log
from psynote.clients.access import Need, get_client_for
from psynote.lib.clock import OptionalLocalTime
from psynote.notes import actions, keyring
from psynote.notes.access import (
    get_note_for,
    get_psychotherapy_note_for,
    notes_for,
    psychotherapy_notes_for,
)
from psynote.notes.changes import NoteChanges, changes_from_api
from psynote.notes.content import MAX_TEXT
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.notes.template_api import router as template_router
from psynote.notes.templates import empty_content
from psynote.visits.access import get_session_for
from psynote.visits.cpt import billing_code

router = Router(tags=["notes"])
router.add_router("", template_router)

ReturnChoice = Literal["representation", "minimal"]
AddendumKind = StrEnum("AddendumKind", {v: v for v in Addendum.Kind.values})  # type: ignore[misc]


class NoteStart(InputSchema):
    template: str = Field(max_length=20, description="The key of one of the practice's "
                          "templates offered for this session (GET /note-templates)")
    carry_sections: list[str] = Field(
        [], max_length=50, description="Section keys to copy forward from the client's last "
        "signed progress note; each is marked as carried until edited"
    )


class SignIn(InputSchema):
    content: NoteChanges | None = Field(
        None, description="The final content, saved and signed in one transaction (as a "
        "PATCH then a sign would, in one call). Audited as one `note.sign` whose detail "
        "carries `content_set`; if anything is refused, nothing is saved."
    )
    late_reason: str = Field(
        "", max_length=MAX_TEXT, description="Required when signing after the late-entry window"
    )
    no_objective_reason: str = Field(
        "",
        max_length=MAX_TEXT,
        description="Required when the plan in force has open objectives and the note "
        "rates none",
    )


class AddendumIn(InputSchema):
    kind: AddendumKind = Addendum.Kind.CORRECTION  # type: ignore[valid-type]
    body: str = Field(max_length=actions.MAX_ADDENDUM)


class SessionBrief(Schema):
    id: UUID
    date: date
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    service: str
    modality: str
    attendance: str


class NoteSummaryOut(Schema):
    id: UUID
    session: SessionBrief
    template: str
    status: str
    signed_at: datetime | None
    signer_name: str
    late_entry: bool
    cpt_code: str = Field(description='As clinicians read it: add-on codes keep their "+".')
    cpt_codes: list[str] = Field(
        description='For a billing system: the bare five-character codes, one per unit.'
    )
    risk_flagged: bool
    updated_at: datetime

    @staticmethod
    def resolve_status(note: ProgressNote) -> str:
        return "signed" if note.is_signed else "draft"

    @staticmethod
    def resolve_cpt_codes(note: ProgressNote) -> list[str]:
        return [billing_code(word) for word in note.cpt_code.split()
                if billing_code(word).isdigit()]


class NotePageOut(PageOut):
    items: list[NoteSummaryOut]


class SignatureOut(Schema):
    signed_at: datetime
    signed_by_id: int
    signer_name: str
    content_hash: str


class AddendumOut(Schema):
    id: UUID
    kind: str
    body: str
    author_id: int
    signer_name: str
    signed_at: datetime
    content_hash: str

    @staticmethod
    def resolve_body(addendum: Addendum) -> str:
        return addendum.body()


class NoteOut(NoteSummaryOut):
    client_id: UUID
    author_id: int
    author_name: str
    template_name: str
    content: dict[str, Any]
    created_at: datetime
    signature: SignatureOut | None
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_author_name(note: ProgressNote) -> str:
        return note.author.signature_name

    @staticmethod
    def resolve_template_name(note: ProgressNote) -> str:
        return note.template_def.name

    @staticmethod
    def resolve_content(note: ProgressNote) -> dict[str, Any]:
        return empty_content(note.template_def) | note.content()

    @staticmethod
    def resolve_signature(note: ProgressNote) -> dict[str, Any] | None:
        if not note.is_signed:
            return None
        return {
            "signed_at": note.signed_at,
            "signed_by_id": note.signed_by_id,
            "signer_name": note.signer_name,
            "content_hash": note.content_hash,
        }

    @staticmethod
    def resolve_addenda(note: ProgressNote) -> list[Addendum]:
        shown = getattr(note, "addenda_shown", None)
        return shown if shown is not None else list(note.addenda.all())


class PsychotherapyNoteSummaryOut(Schema):
    id: UUID
    client_id: UUID
    session_id: UUID | None
    created_at: datetime
    updated_at: datetime


class PsychotherapyNoteOut(PsychotherapyNoteSummaryOut):
    body: str

    @staticmethod
    def resolve_body(note: PsychotherapyNote) -> str:
        return note.body()


class PsychotherapyNoteIn(InputSchema):
    body: str = Field(max_length=actions.MAX_ADDENDUM)
    session_id: UUID | None = Field(None, description="One of this client's sessions")


class PsychotherapyNotePatch(InputSchema):
    body: str = Field(max_length=actions.MAX_ADDENDUM)


class NoteMinimalOut(Schema):
    """What a write changed, without the content: `?return=minimal`."""

    id: UUID
    client_id: UUID
    session_id: UUID
    template: str
    template_version: int = Field(description="The number of the template's version the "
                                  "note keeps")
    status: str
    risk_flagged: bool
    late_entry: bool
    signed_at: datetime | None
    content_hash: str | None = Field(description="SHA-256 of the signed content; null for "
                                     "a draft")
    updated_at: datetime

    @staticmethod
    def resolve_template_version(note: ProgressNote) -> int:
        return note.template_version.number

    @staticmethod
    def resolve_status(note: ProgressNote) -> str:
        return "signed" if note.is_signed else "draft"

    @staticmethod
    def resolve_content_hash(note: ProgressNote) -> str | None:
        return note.content_hash or None


class NoteWrittenOut(NoteOut):
    """The note as this write left it, built from what the write already holds: no second
    read, and no `note.view` (the write's own event records it; the content is the
    author's own, just written). A draft, or a note signed a moment ago, has no addenda."""

    @staticmethod
    def resolve_addenda(note: ProgressNote) -> list[Addendum]:
        return []


class WriteParams(Schema):
    return_: ReturnChoice = Field(  # type: ignore[valid-type]
        "representation", alias="return",
        description="`representation` (default): the note as GET answers it; `minimal`: "
        "ids, status, version and times only (as HTTP's `Prefer: return=minimal`, RFC 7240)")


NOTE_WRITTEN = NoteWrittenOut | NoteMinimalOut


def written_body(note: ProgressNote, user: Any, params: WriteParams,
                 known: ProgressNote | None = None) -> dict[str, Any]:
    """The answer to a write, from the objects in hand (`known`: the note as the access
    check loaded it, whose session and template the write did not change)."""
    if known is not None:
        note.session, note.template_version = known.session, known.template_version
    if note.author_id == user.pk:
        note.author = user
    schema = NoteMinimalOut if params.return_ == "minimal" else NoteWrittenOut
    return schema.from_orm(note).model_dump(mode="json")


def written(request: HttpRequest, note: ProgressNote, params: WriteParams, status: int,
            known: ProgressNote | None = None) -> HttpResponse:
    # Serialised here with the schema the caller chose (the route declares both).
    return api.create_response(request, written_body(note, request.user, params, known),
                               status=status)


def _shown(note: ProgressNote, user: Any) -> ProgressNote:
    """A note read: record that it was (the caller loaded what the response shows)."""
    log.record_by(
        user, "note.view", target_type="progress_note", target_id=note.pk, client_id=note.client_id
    )
    return note


def _refuse_if_signed(note: ProgressNote) -> None:
    if note.is_signed:
        raise Conflict("this note is signed and locked; add an addendum instead")


# --- progress notes ---------------------------------------------------------------------


@router.get("/clients/{uuid:client_id}/notes", response={200: NotePageOut, **ERRORS})
def list_notes(request: HttpRequest, client_id: UUID, params: Query[PageParams]) -> dict[str, Any]:
    """The client's progress notes (not their content), newest first."""
    client = get_client_for(request.user, client_id, Need.CLINICAL)
    notes: QuerySet[ProgressNote] = (
        notes_for(request.user).filter(client=client).select_related("session")
    )
    log.record_by(
        request.user, "note.list", target_type="client", target_id=client.pk, client_id=client.pk
    )
    return page(notes, params)


# The write routes below open no transaction of their own: the action each calls is one,
# with its audit event (the access check before it only reads). Around it, another would
# turn the action's into a savepoint: two more statements per call.
@router.post("/sessions/{uuid:session_id}/notes", response={201: NOTE_WRITTEN, **ERRORS})
def start_note(
    request: HttpRequest, session_id: UUID, payload: NoteStart, params: Query[WriteParams]
) -> HttpResponse:
    """Start the session's draft. Answers the draft (or, with `?return=minimal`, its ids);
    audited as `note.create` only."""
    session = get_session_for(request.user, session_id, Need.WRITE_CLINICAL)
    note = actions.start_note(by=request.user, session=session, template=payload.template,
                              carry_sections=payload.carry_sections)
    return written(request, note, params, 201)


@router.get("/notes/{uuid:note_id}", response={200: NoteOut, **ERRORS})
def get_note(request: HttpRequest, note_id: UUID) -> ProgressNote:
    """The note's full content, signature and addenda. Audited as `note.view` (its one
    write and commit: the read stays outside it, so SQLite's write lock is held only for
    the audit append)."""
    note = get_note_for(request.user, note_id)
    note.addenda_shown = list(note.addenda.all()) if note.is_signed else []
    return _shown(note, request.user)


@router.patch("/notes/{uuid:note_id}", response={200: NOTE_WRITTEN, 409: ErrorOut, **ERRORS})
def update_note(request: HttpRequest, note_id: UUID, changes: NoteChanges,
                params: Query[WriteParams]) -> HttpResponse:
    """Save the author's draft; a signed note answers 409 (write an addendum). Answers the
    draft as saved (`?return=minimal`: its ids, status and times); audited as
    `note.update` only."""
    known = get_note_for(request.user, note_id, write=True)
    _refuse_if_signed(known)
    note = actions.save_draft(by=request.user, note=known, changes=changes_from_api(changes))
    return written(request, note, params, 200, known)


@router.post("/notes/{uuid:note_id}/sign", response={200: NOTE_WRITTEN, 409: ErrorOut, **ERRORS})
def sign_note(request: HttpRequest, note_id: UUID, payload: SignIn,
              params: Query[WriteParams]) -> HttpResponse:
    """Sign the author's draft, optionally with its final `content` in the same call;
    400 lists what is missing, and nothing is saved. Answers the signed note
    (`?return=minimal`: ids, status, content hash); audited as `note.sign` only."""
    known = get_note_for(request.user, note_id, write=True)
    _refuse_if_signed(known)
    reasons = {"late_reason": payload.late_reason,
               "no_objective_reason": payload.no_objective_reason}
    if payload.content is not None:
        note = actions.sign_with_content(by=request.user, note=known,
                                         changes=changes_from_api(payload.content), **reasons)
    else:
        note = actions.sign_note(by=request.user, note=known, **reasons)
    return written(request, note, params, 200, known)


@router.get("/notes/{uuid:note_id}/addenda", response={200: list[AddendumOut], **ERRORS})
def list_addenda(request: HttpRequest, note_id: UUID) -> list[Addendum]:
    note = get_note_for(request.user, note_id)
    log.record_by(
        request.user,
        "note.view",
        target_type="progress_note",
        target_id=note.pk,
        client_id=note.client_id,
        detail={"part": "addenda"},
    )
    return list(note.addenda.all())


@router.post("/notes/{uuid:note_id}/addenda", response={201: AddendumOut, **ERRORS})
def add_addendum(request: HttpRequest, note_id: UUID, payload: AddendumIn) -> tuple[int, Addendum]:
    note = get_note_for(request.user, note_id)
    # Reading the record is not enough: addenda come from the client's care team.
    get_client_for(request.user, note.client_id, Need.WRITE_CLINICAL)
    addendum = actions.add_addendum(
        by=request.user, note=note, body=payload.body, kind=payload.kind
    )
    return 201, addendum


# --- psychotherapy notes: the author's own, nobody else's --------------------------------


@router.get(
    "/clients/{uuid:client_id}/psychotherapy-notes",
    response={200: list[PsychotherapyNoteSummaryOut], **ERRORS},
)
def list_psychotherapy_notes(request: HttpRequest, client_id: UUID) -> QuerySet[PsychotherapyNote]:
    """Your own psychotherapy notes about this client; never anyone else's."""
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    log.record_by(
        request.user,
        "psychotherapy_note.list",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    return psychotherapy_notes_for(request.user).filter(client=client)


@router.post(
    "/clients/{uuid:client_id}/psychotherapy-notes", response={201: PsychotherapyNoteOut, **ERRORS}
)
def create_psychotherapy_note(
    request: HttpRequest, client_id: UUID, payload: PsychotherapyNoteIn
) -> tuple[int, PsychotherapyNote]:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    session = None
    if payload.session_id is not None:
        session = get_session_for(request.user, payload.session_id, Need.WRITE_CLINICAL)
    note = actions.write_psychotherapy_note(
        by=request.user, client=client, body=payload.body, session=session
    )
    return 201, note


@router.get("/psychotherapy-notes/{uuid:note_id}", response={200: PsychotherapyNoteOut, **ERRORS})
def get_psychotherapy_note(request: HttpRequest, note_id: UUID) -> PsychotherapyNote:
    note = get_psychotherapy_note_for(request.user, note_id)
    keyring.key_for(request.user.pk)  # 403 with a sentence while the author's key is sealed
    log.record_by(
        request.user,
        "psychotherapy_note.view",
        target_type="psychotherapy_note",
        target_id=note.pk,
        client_id=note.client_id,
    )
    return note


@router.patch("/psychotherapy-notes/{uuid:note_id}", response={200: PsychotherapyNoteOut, **ERRORS})
def update_psychotherapy_note(
    request: HttpRequest, note_id: UUID, payload: PsychotherapyNotePatch
) -> PsychotherapyNote:
    note = get_psychotherapy_note_for(request.user, note_id)
    return actions.write_psychotherapy_note(
        by=request.user, client=note.client, body=payload.body, session=note.session, note=note
    )
