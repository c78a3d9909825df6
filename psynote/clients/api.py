"""API routes for clients and their diagnoses: the same access functions and actions as
the client pages (`clients.views`), answering JSON."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, field_validator

from psynote.api import ERRORS, MAX_ID, Forbidden, InputSchema, PageOut, PageParams, page
from psynote.audit import log
from psynote.clients import actions
from psynote.clients.access import (
    Need,
    active_clinicians,
    clients_for,
    get_client_for,
    may_add_clients,
    names_primary_clinician,
)
from psynote.clients.models import Client, Diagnosis

router = Router(tags=["clients"])

SexAtBirth = StrEnum(  # type: ignore[misc]
    "SexAtBirth",
    {
        "blank": "",
        **{value: value for value, _ in Client._meta.get_field("sex_assigned_at_birth").choices},
    },
)
ClientStatus = StrEnum("ClientStatus", {value: value for value in Client.Status.values})  # type: ignore[misc]


class CareTeamMemberOut(Schema):
    user_id: int
    name: str
    role: str


class ClientOut(Schema):
    id: UUID
    display_name: str
    first_name: str
    last_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    sex_assigned_at_birth: str
    gender_identity: str
    phone: str
    email: str
    address: str
    emergency_contact: str
    status: str
    created_at: datetime
    care_team: list[CareTeamMemberOut]

    @staticmethod
    def resolve_care_team(client: Client) -> list[dict[str, Any]]:
        return [
            {"user_id": member.user_id, "name": member.user.signature_name, "role": member.role}
            for member in client.care_team.all()
        ]


class ClientPageOut(PageOut):
    items: list[ClientOut]


class _Demographics(InputSchema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("date_of_birth", check_fields=False)
    @classmethod
    def _not_future(cls, born: date | None) -> date | None:
        if born is not None and born > date.today():
            raise ValueError("the date of birth is in the future")
        return born


class ClientIn(_Demographics):
    first_name: str
    last_name: str
    date_of_birth: date
    preferred_name: str = ""
    pronouns: str = ""
    sex_assigned_at_birth: SexAtBirth = SexAtBirth.blank  # type: ignore[valid-type]
    gender_identity: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact: str = ""
    primary_clinician_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Required for admin and front desk; a clinician who adds a client "
        "becomes its primary clinician.",
    )


class ClientPatch(_Demographics):
    first_name: str = None  # type: ignore[assignment]
    last_name: str = None  # type: ignore[assignment]
    date_of_birth: date = None  # type: ignore[assignment]
    preferred_name: str = None  # type: ignore[assignment]
    pronouns: str = None  # type: ignore[assignment]
    sex_assigned_at_birth: SexAtBirth = None  # type: ignore[valid-type]
    gender_identity: str = None  # type: ignore[assignment]
    phone: str = None  # type: ignore[assignment]
    email: str = None  # type: ignore[assignment]
    address: str = None  # type: ignore[assignment]
    emergency_contact: str = None  # type: ignore[assignment]
    status: ClientStatus = None  # type: ignore[valid-type]


class DiagnosisOut(Schema):
    id: int
    code: str
    description: str
    is_primary: bool
    status: str
    onset_date: date | None
    added_by: str
    added_at: datetime

    @staticmethod
    def resolve_added_by(diagnosis: Diagnosis) -> str:
        return diagnosis.added_by.signature_name


class DiagnosisIn(InputSchema):
    code: str = Field(max_length=20, description="ICD-10-CM code, e.g. F41.1")
    is_primary: bool = False
    onset_date: date | None = None

    @field_validator("onset_date")
    @classmethod
    def _not_future(cls, onset: date | None) -> date | None:
        if onset is not None and onset > date.today():
            raise ValueError("the onset date is in the future")
        return onset


def _with_team(clients: QuerySet[Client]) -> QuerySet[Client]:
    return clients.prefetch_related("care_team__user")


def _primary_clinician(user: Any, clinician_id: int | None) -> Any:
    if not names_primary_clinician(user):
        if clinician_id not in (None, user.pk):
            raise ValidationError(
                {
                    "primary_clinician_id": "a clinician who adds a client "
                    "becomes its primary clinician; leave this out"
                }
            )
        return user
    if clinician_id is None:
        raise ValidationError({"primary_clinician_id": "choose the primary clinician"})
    clinician = active_clinicians(user.practice_id).filter(pk=clinician_id).first()
    if clinician is None:
        raise ValidationError(
            {"primary_clinician_id": "no active clinician of this practice has that id"}
        )
    return clinician


@router.get("/clients", response={200: ClientPageOut, **ERRORS})
def list_clients(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """The clients whose demographics you may see, by last name."""
    result = page(_with_team(clients_for(request.user, Need.DEMOGRAPHICS)), params)
    log.record_by(
        request.user,
        "client.list",
        target_type="client",
        detail={"count": len(result["items"]), "offset": params.offset},
    )
    return result


@router.post("/clients", response={201: ClientOut, **ERRORS})
def create_client(request: HttpRequest, payload: ClientIn) -> tuple[int, Client]:
    user = request.user
    if not may_add_clients(user):
        log.record_by(user, "access.denied", target_type="client", detail={"need": "create_client"})
        raise Forbidden("your role may not add clients")
    fields = payload.model_dump(exclude={"primary_clinician_id"})
    primary = _primary_clinician(user, payload.primary_clinician_id)
    client = actions.create_client(by=user, primary_clinician=primary, **fields)
    return 201, _with_team(Client.objects.filter(pk=client.pk)).get()


@router.get("/clients/{uuid:client_id}", response={200: ClientOut, **ERRORS})
def get_client(request: HttpRequest, client_id: UUID) -> Client:
    client = get_client_for(request.user, client_id, Need.DEMOGRAPHICS)
    log.record_by(
        request.user, "client.view", target_type="client", target_id=client.pk, client_id=client.pk
    )
    return client


@router.patch("/clients/{uuid:client_id}", response={200: ClientOut, **ERRORS})
def update_client(request: HttpRequest, client_id: UUID, payload: ClientPatch) -> Client:
    client = get_client_for(request.user, client_id, Need.EDIT_DEMOGRAPHICS)
    actions.update_client(by=request.user, client=client, **payload.model_dump(exclude_unset=True))
    return client


@router.get("/clients/{uuid:client_id}/diagnoses", response={200: list[DiagnosisOut], **ERRORS})
def list_diagnoses(request: HttpRequest, client_id: UUID) -> list[Diagnosis]:
    client = get_client_for(request.user, client_id, Need.CLINICAL)
    log.record_by(
        request.user,
        "diagnosis.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    return client.diagnoses.select_related("added_by").in_chart_order()


@router.post("/clients/{uuid:client_id}/diagnoses", response={201: DiagnosisOut, **ERRORS})
def add_diagnosis(
    request: HttpRequest, client_id: UUID, payload: DiagnosisIn
) -> tuple[int, Diagnosis]:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    diagnosis = actions.add_diagnosis(
        by=request.user,
        client=client,
        code=payload.code,
        is_primary=payload.is_primary,
        onset_date=payload.onset_date,
    )
    return 201, diagnosis
