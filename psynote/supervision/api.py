"""API routes for supervision: the same rules and actions as the pages (`views.py`).

A note's author and the author's supervisors reach its review (anyone else: 404); the
author marks a draft ready and replies; a supervisor returns, comments, approves and
co-signs, and writes nothing else. Comment text is not part of the client's record: it is
never in a note's own representation, a disclosure or an export.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.accounts.models import Role, User
from psynote.api import ERRORS, InputSchema
from psynote.audit import log
from psynote.supervision import actions
from psynote.supervision.access import get_supervisee_for
from psynote.supervision.models import Cosignature, Mode, ReviewComment, Supervision
from psynote.supervision.panel import panel_context
from psynote.supervision.queries import (
    get_note_under_review,
    notes_awaiting_review,
    notes_returned_for_revision,
)

router = Router(tags=["supervision"])


class SupervisionOut(Schema):
    supervisor_id: int
    supervisor_name: str
    mode: str

    @staticmethod
    def resolve_supervisor_name(row: Supervision) -> str:
        return row.supervisor.signature_name


class SupervisionIn(InputSchema):
    supervisor_id: int = Field(ge=1, le=2**53)
    mode: Mode = Mode.REVIEW


class CommentIn(InputSchema):
    section: str = Field("", max_length=60, description="A section key of the note's "
                         "template; empty for the note as a whole")
    text: str = Field(max_length=ReviewComment.MAX_TEXT)


class ReturnIn(InputSchema):
    comments: list[CommentIn] = Field(min_length=1, max_length=50)


class CommentOut(Schema):
    section: str
    author_name: str
    created_at: datetime
    text: str
    on_signed_note: bool


class CosignatureOut(Schema):
    kind: str
    signed_by_id: int
    signer_name: str
    signed_at: datetime
    note_hash: str
    content_hash: str


class ReviewOut(Schema):
    note_id: UUID
    state: str
    held: bool = Field(description="Signed but not part of the record until approved")
    comments: list[CommentOut]
    cosignature: CosignatureOut | None


class QueueOut(Schema):
    returned: list[UUID]
    awaiting: list[UUID]


def _review(user: Any, note: Any) -> dict[str, Any]:
    panel = panel_context(user, note)
    review = panel["review"]
    return {
        "note_id": note.pk,
        "state": review.state if review else "",
        "held": bool(review and review.held),
        "comments": [{"section": c.section, "author_name": c.author.signature_name,
                      "created_at": c.created_at, "text": c.body(),
                      "on_signed_note": c.on_signed_note}
                     for c in note.review_comments.select_related("author", "note__client")],
        "cosignature": panel["cosignature"],
    }


@router.get("/users/{int:user_id}/supervision", response={200: list[SupervisionOut], **ERRORS})
def list_supervision(request: HttpRequest, user_id: int) -> Any:
    """The user's supervisors and their modes (the admin; a supervisor sees their own row)."""
    supervisee = get_supervisee_for(request.user, user_id)
    rows = Supervision.objects.filter(supervisee=supervisee).select_related("supervisor")
    if request.user.role != Role.ADMIN:
        rows = rows.filter(supervisor=request.user)
    log.record_by(request.user, "supervision.view", target_type="user", target_id=supervisee.pk)
    return rows


@router.put("/users/{int:user_id}/supervision", response={200: SupervisionOut, **ERRORS})
def set_supervision(request: HttpRequest, user_id: int, payload: SupervisionIn) -> Supervision:
    """Add a supervisor or change their mode. A supervisor sets only their own row."""
    supervisee = get_supervisee_for(request.user, user_id)
    if request.user.role != Role.ADMIN and payload.supervisor_id != request.user.pk:
        raise ValidationError("a supervisor sets the mode of their own supervision only")
    supervisor = User.objects.filter(pk=payload.supervisor_id,
                                     practice_id=supervisee.practice_id).first()
    if supervisor is None:
        raise ValidationError("no such supervisor in this practice")
    return actions.set_supervision(by=request.user, supervisor=supervisor,
                                   supervisee=supervisee, mode=payload.mode)


@router.get("/supervision/queue", response={200: QueueOut, **ERRORS})
def review_queue(request: HttpRequest) -> dict[str, list[Any]]:
    """Your drafts returned for revision, and your supervisees' notes waiting for you."""
    returned = list(notes_returned_for_revision(request.user).values_list("pk", flat=True))
    awaiting = list(notes_awaiting_review(request.user).values_list("pk", flat=True))
    log.record_by(request.user, "review.queue",
                  detail={"returned": len(returned), "awaiting": len(awaiting)})
    return {"returned": returned, "awaiting": awaiting}


@router.get("/notes/{uuid:note_id}/review", response={200: ReviewOut, **ERRORS})
def get_review(request: HttpRequest, note_id: UUID) -> dict[str, Any]:
    note = get_note_under_review(request.user, note_id)
    log.record_by(request.user, "review.view", target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id)
    return _review(request.user, note)


@router.post("/notes/{uuid:note_id}/review/ready", response={200: ReviewOut, **ERRORS})
def mark_ready(request: HttpRequest, note_id: UUID) -> dict[str, Any]:
    note = get_note_under_review(request.user, note_id)
    actions.mark_ready(by=request.user, note=note)
    return _review(request.user, note)


@router.post("/notes/{uuid:note_id}/review/return", response={200: ReviewOut, **ERRORS})
def return_note(request: HttpRequest, note_id: UUID, payload: ReturnIn) -> dict[str, Any]:
    note = get_note_under_review(request.user, note_id)
    actions.return_note(by=request.user, note=note,
                        comments=[(c.section, c.text) for c in payload.comments])
    return _review(request.user, note)


@router.post("/notes/{uuid:note_id}/review/comments", response={201: ReviewOut, **ERRORS})
def add_comment(request: HttpRequest, note_id: UUID, payload: CommentIn) -> Any:
    note = get_note_under_review(request.user, note_id)
    actions.add_comment(by=request.user, note=note, section=payload.section, text=payload.text)
    return 201, _review(request.user, note)


@router.post("/notes/{uuid:note_id}/review/approve", response={200: CosignatureOut, **ERRORS})
def approve(request: HttpRequest, note_id: UUID) -> Cosignature:
    note = get_note_under_review(request.user, note_id)
    return actions.cosign(by=request.user, note=note, approve=True)


@router.post("/notes/{uuid:note_id}/review/cosign", response={200: CosignatureOut, **ERRORS})
def cosign(request: HttpRequest, note_id: UUID) -> Cosignature:
    note = get_note_under_review(request.user, note_id)
    return actions.cosign(by=request.user, note=note)
