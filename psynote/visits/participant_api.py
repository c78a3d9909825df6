"""API routes for the participants of a couples or family session (ADR 0014); the actions
are in `visits.participants`. Only the session's own clinician records participants, and
sees their names: they are part of the identified client's record."""

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, InputSchema
from psynote.audit import log
from psynote.clients.access import Need, deny
from psynote.visits import participants
from psynote.visits.access import get_session_for, get_session_to_change
from psynote.visits.models import SessionParticipant

router = Router(tags=["sessions"])


class ParticipantOut(Schema):
    id: int
    role: str
    name: str
    participant_client_id: UUID | None = Field(
        description="Set when the participant is also a client of the practice; this "
        "session's note is still not part of that client's record")


class ParticipantIn(InputSchema):
    role: str = Field(description="partner, parent, child, sibling or other")
    name: str = Field(max_length=participants.MAX_NAME)
    participant_client_id: UUID | None = None


def _own_session(user: Any, session_id: UUID) -> Any:
    if not user.is_clinical:
        raise deny(user, "session", session_id, "own session")
    return get_session_to_change(user, session_id)


@router.get("/sessions/{uuid:session_id}/participants",
            response={200: list[ParticipantOut], **ERRORS})
def list_participants(request: HttpRequest, session_id: UUID) -> Any:
    session = get_session_for(request.user, session_id, Need.CLINICAL)
    log.record_by(request.user, "session.participant_list", target_type="session",
                  target_id=session.pk, client_id=session.client_id)
    return list(session.participants.all())


@router.post("/sessions/{uuid:session_id}/participants",
             response={201: ParticipantOut, **ERRORS})
def add_participant(request: HttpRequest, session_id: UUID,
                    payload: ParticipantIn) -> tuple[int, SessionParticipant]:
    session = _own_session(request.user, session_id)
    return 201, participants.add_participant(
        by=request.user, session=session, role=payload.role, name=payload.name,
        participant_client_id=payload.participant_client_id)


@router.delete("/sessions/{uuid:session_id}/participants/{int:participant_id}",
               response={204: None, **ERRORS})
def remove_participant(request: HttpRequest, session_id: UUID,
                       participant_id: int) -> tuple[int, None]:
    session = _own_session(request.user, session_id)
    participant = session.participants.filter(pk=participant_id).first()
    if participant is None:
        raise ValidationError("no such participant of this session")
    participants.remove_participant(by=request.user, participant=participant)
    return 204, None
