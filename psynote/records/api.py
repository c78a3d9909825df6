"""API routes for a client's access and amendment requests: the same access functions
and actions as the pages (`records.views`). Deciding, producing, holds and destruction
are done in the app, where the second person and the confirmations are."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, InputSchema
from psynote.audit import log
from psynote.records import actions
from psynote.records.access import get_client_for_rights, get_client_to_record_request
from psynote.records.models import AccessRequest, AmendmentRequest

router = Router(tags=["client rights"])


class AccessRequestOut(Schema):
    id: UUID
    client_id: UUID
    requested_on: date
    due_on: date
    status: str
    overdue: bool
    disclosure_id: UUID | None
    produced_at: datetime | None

    @staticmethod
    def resolve_overdue(obj: AccessRequest) -> bool:
        return obj.is_overdue()


class AmendmentRequestOut(Schema):
    id: UUID
    client_id: UUID
    requested_on: date
    due_on: date
    extended_to: date | None
    deadline: date
    status: str
    overdue: bool
    note_id: UUID | None
    addendum_id: UUID | None
    denial_reason: str

    @staticmethod
    def resolve_overdue(obj: AmendmentRequest) -> bool:
        return obj.is_overdue()


class AccessRequestIn(InputSchema):
    requested_on: date


class AmendmentRequestIn(InputSchema):
    requested_on: date
    request: str = Field(
        min_length=1,
        max_length=actions.MAX_TEXT,
        description="What the client asks to amend, and why.",
    )


def _listed(request: HttpRequest, action: str, client_id: UUID) -> Any:
    client = get_client_for_rights(request.user, client_id)
    log.record_by(
        request.user, action, target_type="client", target_id=client.pk, client_id=client.pk
    )
    return client


@router.get(
    "/clients/{uuid:client_id}/access-requests", response={200: list[AccessRequestOut], **ERRORS}
)
def list_access_requests(request: HttpRequest, client_id: UUID) -> Any:
    client = _listed(request, "access_request.list", client_id)
    return 200, list(client.access_requests.all())


@router.post(
    "/clients/{uuid:client_id}/access-requests", response={201: AccessRequestOut, **ERRORS}
)
def create_access_request(request: HttpRequest, client_id: UUID, payload: AccessRequestIn) -> Any:
    client = get_client_to_record_request(request.user, client_id)
    return 201, actions.record_access_request(
        by=request.user, client=client, requested_on=payload.requested_on
    )


@router.get(
    "/clients/{uuid:client_id}/amendment-requests",
    response={200: list[AmendmentRequestOut], **ERRORS},
)
def list_amendment_requests(request: HttpRequest, client_id: UUID) -> Any:
    client = _listed(request, "amendment_request.list", client_id)
    return 200, list(client.amendment_requests.all())


@router.post(
    "/clients/{uuid:client_id}/amendment-requests", response={201: AmendmentRequestOut, **ERRORS}
)
def create_amendment_request(
    request: HttpRequest, client_id: UUID, payload: AmendmentRequestIn
) -> Any:
    client = get_client_to_record_request(request.user, client_id)
    return 201, actions.record_amendment_request(
        by=request.user, client=client, requested_on=payload.requested_on, request=payload.request
    )
