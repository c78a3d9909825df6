"""API routes for treatment plans: the same access functions and actions as the plan pages
(`plans.views`). Whoever may read the client's record reads every version; the care team
starts, changes (PUT the whole structure), discards and signs the one draft. A signed
version answers 409 to any change.
"""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, MAX_ID, Conflict, ErrorOut, InputSchema
from psynote.audit import log
from psynote.plans import actions, queries
from psynote.plans.access import get_plan_for, get_version_for
from psynote.plans.models import PlanVersion
from psynote.plans.structure import MAX_ITEMS, MAX_TEXT

router = Router(tags=["treatment plans"])

_TEXT = MAX_TEXT
_ITEMS = MAX_ITEMS
ObjectiveStatus = Literal["not_started", "in_progress", "achieved", "revised", "discontinued"]
Method = Literal["", "signed_paper", "signed_screen", "verbal"]


class ObjectiveIn(InputSchema):
    key: UUID | None = Field(
        None, description="Keep an objective's key across versions; leave out for a new objective"
    )
    text: str = Field("", max_length=_TEXT)
    baseline: str = Field("", max_length=_TEXT)
    target: str = Field("", max_length=_TEXT)
    target_date: date | None = None
    status: ObjectiveStatus = "not_started"


class GoalIn(InputSchema):
    key: UUID | None = None
    text: str = Field("", max_length=_TEXT)
    objectives: list[ObjectiveIn] = Field([], max_length=_ITEMS)


class InterventionIn(InputSchema):
    key: UUID | None = None
    modality: str = Field("", max_length=_TEXT)
    frequency: str = Field("", max_length=_TEXT)
    responsible_user_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A clinician on the care team"
    )
    responsible: str = Field("", max_length=_TEXT, description="Who, in words")


class ProblemIn(InputSchema):
    key: UUID | None = None
    diagnosis_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A diagnosis on this client's chart"
    )
    diagnosis_code: str | None = Field(
        None, max_length=10, description="Ignored: taken from the diagnosis"
    )
    text: str = Field("", max_length=_TEXT)
    goals: list[GoalIn] = Field([], max_length=_ITEMS)
    interventions: list[InterventionIn] = Field([], max_length=_ITEMS)


class StructureIn(InputSchema):
    """The whole draft: what is left out is removed."""

    client_agreement_date: date | None = None
    client_agreement_method: Method = ""
    review_due: date | None = Field(
        None, description="Empty: the practice's interval after signing"
    )
    problems: list[ProblemIn] = Field([], max_length=_ITEMS)


class VersionSummaryOut(Schema):
    id: UUID
    number: int
    status: str
    created_at: datetime
    signed_at: datetime | None
    signer_name: str
    review_due: date | None
    content_hash: str


class VersionOut(VersionSummaryOut):
    client_id: UUID
    structure: dict[str, Any]

    @staticmethod
    def resolve_client_id(version: PlanVersion) -> UUID:
        return version.plan.client_id

    @staticmethod
    def resolve_structure(version: PlanVersion) -> dict[str, Any]:
        return version.structure()


class ObjectiveOut(Schema):
    key: str
    text: str
    baseline: str
    target: str
    target_date: date | None
    status: str
    goal_text: str
    problem_text: str
    diagnosis_code: str


def _shown(user: Any, version: PlanVersion) -> PlanVersion:
    version = get_version_for(user, version.pk)
    log.record_by(
        user,
        "plan.view",
        target_type="plan_version",
        target_id=version.pk,
        client_id=version.plan.client_id,
    )
    return version


def _draft(user: Any, version_id: UUID) -> PlanVersion:
    version = get_version_for(user, version_id, write=True)
    if version.is_signed:
        raise Conflict("this plan version is signed and locked; start a new version")
    return version


@router.get("/clients/{uuid:client_id}/plans", response={200: list[VersionSummaryOut], **ERRORS})
def list_versions(request: HttpRequest, client_id: UUID) -> list[PlanVersion]:
    """Every version of the client's treatment plan, newest first (without content)."""
    client, plan = get_plan_for(request.user, client_id)
    log.record_by(
        request.user, "plan.list", target_type="client", target_id=client.pk, client_id=client.pk
    )
    if plan is None:
        return []
    return list(plan.versions.with_superseded())


@router.post("/clients/{uuid:client_id}/plans/draft", response={201: VersionOut, **ERRORS})
def start_draft(request: HttpRequest, client_id: UUID) -> tuple[int, PlanVersion]:
    """A new draft, copied from the version in force (item keys kept); 400 if one exists."""
    client, _ = get_plan_for(request.user, client_id, write=True)
    version = actions.start_version(by=request.user, client=client)
    return 201, _shown(request.user, version)


@router.get("/plans/versions/{uuid:version_id}", response={200: VersionOut, **ERRORS})
def get_version(request: HttpRequest, version_id: UUID) -> PlanVersion:
    """One version with its whole structure. Audited as `plan.view`."""
    return _shown(request.user, get_version_for(request.user, version_id))


@router.put(
    "/plans/versions/{uuid:version_id}", response={200: VersionOut, 409: ErrorOut, **ERRORS}
)
def put_structure(request: HttpRequest, version_id: UUID, payload: StructureIn) -> PlanVersion:
    """Replace the draft's structure; a signed version answers 409."""
    version = _draft(request.user, version_id)
    actions.save_structure(
        by=request.user, version=version, structure=payload.model_dump(mode="json")
    )
    return _shown(request.user, version)


@router.delete("/plans/versions/{uuid:version_id}", response={204: None, 409: ErrorOut, **ERRORS})
def discard_draft(request: HttpRequest, version_id: UUID) -> tuple[int, None]:
    """Discard the draft; a signed version answers 409."""
    actions.discard_draft(by=request.user, version=_draft(request.user, version_id))
    return 204, None


@router.post(
    "/plans/versions/{uuid:version_id}/sign", response={200: VersionOut, 409: ErrorOut, **ERRORS}
)
def sign_version(request: HttpRequest, version_id: UUID) -> PlanVersion:
    """Sign the draft: 400 lists what is missing; the previous version is superseded."""
    version = _draft(request.user, version_id)
    actions.sign_version(by=request.user, version=version)
    return _shown(request.user, version)


@router.get("/clients/{uuid:client_id}/objectives", response={200: list[ObjectiveOut], **ERRORS})
def list_objectives(request: HttpRequest, client_id: UUID) -> list[queries.ActiveObjective]:
    """The open objectives of the plan in force: what a progress note may rate."""
    client, _ = get_plan_for(request.user, client_id)
    log.record_by(
        request.user,
        "plan.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"part": "objectives"},
    )
    return queries.active_objectives(client)
