"""API routes for groups and group sessions (ADR 0014). `groups.actions` writes; this module
turns JSON into their arguments and their results back into JSON. Only a group's
facilitators reach these routes; the notes a signed session files are read through the
notes routes, under each member's care team."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, ErrorOut, Forbidden, InputSchema, RowId
from psynote.audit import log
from psynote.clients.access import Need, clients_for
from psynote.clients.models import Client
from psynote.groups import actions
from psynote.groups.access import get_group_for, get_group_session_for, groups_for
from psynote.groups.models import Group, GroupAttendance, GroupSession
from psynote.lib.clock import OptionalLocalTime
from psynote.visits.models import Session

router = Router(tags=["groups"])

Modality = StrEnum("Modality", {v: v for v in Session.Modality.values})  # type: ignore[misc]
Place = StrEnum("Place", {v: v for v in Session.Place.values})  # type: ignore[misc]
Attendance = StrEnum(  # type: ignore[misc]
    "Attendance", {v: v for v in GroupAttendance.Attendance.values})


class MemberOut(Schema):
    client_id: UUID
    name: str


class GroupOut(Schema):
    id: UUID
    name: str
    facilitator_ids: list[int]
    members: list[MemberOut]
    created_at: datetime

    @staticmethod
    def resolve_facilitator_ids(group: Group) -> list[int]:
        return sorted(group.facilitators.values_list("pk", flat=True))

    @staticmethod
    def resolve_members(group: Group) -> list[dict[str, Any]]:
        return [{"client_id": m.client_id, "name": m.client.display_name}
                for m in group.members.select_related("client")]


class GroupIn(InputSchema):
    name: str = Field(max_length=actions.MAX_NAME)
    member_ids: list[UUID] = Field(max_length=100, description="The standing roster: clients "
                                   "on the care team of every facilitator")
    facilitator_ids: list[RowId] = Field(
        [], max_length=10, description="Co-facilitators besides you (clinicians of the practice)")


class MemberIn(InputSchema):
    client_id: UUID


class GroupSessionIn(InputSchema):
    date: date
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    modality: Modality = Session.Modality.IN_PERSON  # type: ignore[valid-type]
    place: Place = Session.Place.OFFICE  # type: ignore[valid-type]


class AttendanceOut(Schema):
    client_id: UUID
    name: str
    attendance: str
    individual: str
    blocks: dict[str, Any]
    session_id: UUID | None = Field(description="Once signed: the session in the member's chart")
    note_id: UUID | None = Field(description="Once signed: the member's progress note")


class GroupSessionOut(Schema):
    id: UUID
    group_id: UUID
    facilitator_id: int
    date: date
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    modality: str
    place: str
    status: str
    cpt: str = Field(description="Billed per attending member: group psychotherapy")
    shared: str
    plan: str
    members: list[AttendanceOut]


class MemberPartIn(InputSchema):
    client_id: UUID
    attendance: Attendance | None = Field(  # type: ignore[valid-type]
        None, description="attended, no_show or late_cancelled; left out: unchanged")
    individual: str = Field("", description="This member's own part (attending members only)")
    risk: dict[str, Any] | None = Field(None, description="The member's risk block, as a "
                                        "progress note's content.risk")
    objectives: list[dict[str, Any]] | None = Field(
        None, description="Ratings of the member's plan objectives, as in a progress note")
    diagnosis_codes: list[str] | None = Field(
        None, description="Diagnoses addressed (default: the member's primary diagnosis)")
    no_objective_reason: str | None = None


class GroupSessionDraftIn(InputSchema):
    shared: str | None = Field(None, description="The shared narrative, written once")
    plan: str | None = Field(None, description="The group's plan, in every attending note")
    members: list[MemberPartIn] = Field([], max_length=100)


class SignIn(InputSchema):
    late_reason: str = ""


def _out(group_session: GroupSession) -> dict[str, Any]:
    rows = list(group_session.attendance.select_related("client", "session__progress_note"))
    attended = [r for r in rows if r.attendance == "attended"]
    members = []
    for row in rows:
        note = getattr(row.session, "progress_note", None) if row.session else None
        members.append({"client_id": row.client_id, "name": row.client.display_name,
                        "attendance": row.attendance, "individual": row.individual,
                        "blocks": row.blocks, "session_id": row.session_id,
                        "note_id": note.pk if note else None})
    return {
        "id": group_session.pk, "group_id": group_session.group_id,
        "facilitator_id": group_session.facilitator_id, "date": group_session.date,
        "start_time": group_session.start_time, "end_time": group_session.end_time,
        "modality": group_session.modality, "place": group_session.place,
        "status": group_session.status, "cpt": "90853",
        "shared": attended[0].shared if attended else "",
        "plan": attended[0].plan if attended else "",
        "members": members,
    }


def _clients(user: Any, ids: list[UUID]) -> list[Client]:
    found = {c.pk: c for c in clients_for(user, Need.WRITE_CLINICAL, emergency=False)
             .filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"member_ids": "not a client of this practice on your caseload: "
                               + ", ".join(missing)})
    return [found[i] for i in ids]


def _clinical(user: Any) -> None:
    if not user.is_clinical:
        raise Forbidden("only clinicians lead groups")


@router.get("/groups", response={200: list[GroupOut], **ERRORS})
def list_groups(request: HttpRequest) -> Any:
    """The groups you facilitate."""
    _clinical(request.user)
    log.record_by(request.user, "group.list", target_type="group", target_id="")
    return list(groups_for(request.user))


@router.post("/groups", response={201: GroupOut, **ERRORS})
def create_group(request: HttpRequest, payload: GroupIn) -> tuple[int, Group]:
    user = request.user
    _clinical(user)
    if len(set(payload.member_ids)) != len(payload.member_ids):
        raise ValidationError({"member_ids": "a client is on the roster twice"})
    members = _clients(user, payload.member_ids)
    leaders = list(actions.facilitator_choices(user).filter(pk__in=payload.facilitator_ids))
    if len(leaders) != len(set(payload.facilitator_ids)):
        raise ValidationError({"facilitator_ids": "not an active clinician of this practice"})
    return 201, actions.create_group(by=user, name=payload.name, members=members,
                                     facilitators=leaders)


@router.get("/groups/{uuid:group_id}", response={200: GroupOut, **ERRORS})
def get_group(request: HttpRequest, group_id: UUID) -> Group:
    group = get_group_for(request.user, group_id)
    log.record_by(request.user, "group.view", target_type="group", target_id=group.pk)
    return group


@router.post("/groups/{uuid:group_id}/members", response={201: GroupOut, **ERRORS})
def add_member(request: HttpRequest, group_id: UUID, payload: MemberIn) -> tuple[int, Group]:
    group = get_group_for(request.user, group_id)
    client = Client.objects.filter(pk=payload.client_id, practice_id=group.practice_id).first()
    if client is None:
        raise ValidationError({"client_id": "not a client of this practice"})
    actions.add_member(by=request.user, group=group, client=client)
    return 201, group


@router.delete("/groups/{uuid:group_id}/members/{uuid:client_id}",
               response={204: None, **ERRORS})
def remove_member(request: HttpRequest, group_id: UUID, client_id: UUID) -> tuple[int, None]:
    group = get_group_for(request.user, group_id)
    client = Client.objects.filter(pk=client_id, practice_id=group.practice_id).first()
    if client is None:
        raise ValidationError({"client_id": "not a client of this practice"})
    actions.remove_member(by=request.user, group=group, client=client)
    return 204, None


@router.post("/groups/{uuid:group_id}/sessions", response={201: GroupSessionOut, **ERRORS})
def create_group_session(request: HttpRequest, group_id: UUID,
                         payload: GroupSessionIn) -> tuple[int, dict[str, Any]]:
    group = get_group_for(request.user, group_id)
    if payload.start_time is None or payload.end_time is None:
        raise ValidationError("give the start and stop times (the note records them)")
    group_session = actions.create_group_session(by=request.user, group=group,
                                                 **payload.model_dump())
    return 201, _out(group_session)


@router.get("/group-sessions/{uuid:group_session_id}",
            response={200: GroupSessionOut, **ERRORS})
def get_group_session(request: HttpRequest, group_session_id: UUID) -> dict[str, Any]:
    group_session = get_group_session_for(request.user, group_session_id)
    log.record_by(request.user, "group_session.view", target_type="group_session",
                  target_id=group_session.pk)
    return _out(group_session)


@router.put("/group-sessions/{uuid:group_session_id}",
            response={200: GroupSessionOut, 409: ErrorOut, **ERRORS})
def save_group_session(request: HttpRequest, group_session_id: UUID,
                       payload: GroupSessionDraftIn) -> dict[str, Any]:
    group_session = get_group_session_for(request.user, group_session_id)
    members = [m.model_dump(exclude_none=True) for m in payload.members]
    group_session = actions.save_group_session(
        by=request.user, group_session=group_session, shared=payload.shared,
        plan=payload.plan, members=members)
    return _out(group_session)


@router.post("/group-sessions/{uuid:group_session_id}/sign",
             response={200: GroupSessionOut, **ERRORS})
def sign_group_session(request: HttpRequest, group_session_id: UUID,
                       payload: SignIn) -> dict[str, Any]:
    group_session = get_group_session_for(request.user, group_session_id)
    group_session = actions.sign_group_session(by=request.user, group_session=group_session,
                                               late_reason=payload.late_reason)
    return _out(group_session)

