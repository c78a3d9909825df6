"""Couples and family sessions: the other people in the room (ADR 0014).

A family or couples session belongs to its identified client; its note lives in that
client's chart and is billed as 90847 (client present) or 90846 (without the client).
The participants are recorded here by role and name, the name sealed under the identified
client's key; the signed note and every export list them by role only.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from psynote.audit import log
from psynote.clients.access import Need, clients_for
from psynote.visits import cpt
from psynote.visits.models import Session, SessionParticipant

FAMILY_SERVICES = {cpt.FAMILY_WITH_CLIENT, cpt.FAMILY_WITHOUT_CLIENT}
MAX_NAME = 200


def _changeable(session: Session) -> None:
    note = getattr(session, "progress_note", None)
    if note is not None and note.is_signed:
        raise ValidationError("this session's progress note is signed; its participants are "
                              "part of the signed record")


@transaction.atomic
def add_participant(*, by: Any, session: Session, role: str, name: str,
                    participant_client_id: object = None) -> SessionParticipant:
    if session.service not in FAMILY_SERVICES:
        raise ValidationError("participants are recorded on couples and family sessions: set "
                              "the session's service to family therapy (with or without the "
                              "client) first")
    _changeable(session)
    if role not in SessionParticipant.Role.values:
        raise ValidationError({"role": "role must be one of: "
                                       + ", ".join(SessionParticipant.Role.values)})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "give the participant's name"})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"the name is longer than {MAX_NAME} characters"})
    linked = None
    if participant_client_id not in (None, ""):
        try:
            linked = clients_for(by, Need.DEMOGRAPHICS).filter(pk=participant_client_id).first()
        except (ValueError, TypeError, ValidationError):
            linked = None
        if linked is None:
            raise ValidationError({"participant_client_id": "no client of this practice you "
                                   "can see has that id; leave the link out and give the name"})
        if linked.pk == session.client_id:
            raise ValidationError({"participant_client_id": "the identified client is not a "
                                   "participant of their own session"})
        if session.participants.filter(participant_client=linked).exists():
            raise ValidationError({"participant_client_id": "already a participant"})
    participant = SessionParticipant(session=session, client_id=session.client_id,
                                     participant_client=linked, role=role)
    participant.name = name
    participant.save()
    log.record_by(by, "session.participant_add", target_type="session", target_id=session.pk,
                  client_id=session.client_id, detail={"role": role})
    return participant


@transaction.atomic
def remove_participant(*, by: Any, participant: SessionParticipant) -> None:
    session = participant.session
    _changeable(session)
    participant.delete()
    log.record_by(by, "session.participant_remove", target_type="session",
                  target_id=session.pk, client_id=session.client_id)


def roles_of(session: Session) -> list[str]:
    """The participants as the note names them: by role only."""
    return [p.get_role_display() for p in session.participants.all()]
