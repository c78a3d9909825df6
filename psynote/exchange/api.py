"""API routes for authorizations, disclosures and the accounting of disclosures: the same
access functions, actions and disclosure gate as the pages (`exchange.views`).

POST /clients/{id}/disclosures answers with the signed package itself (application/zip);
a disclosure the gate does not allow is a 400 with the gate's sentence, and nothing is
disclosed or logged but the refusal.
"""

import base64
import binascii
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from psynote.api import ERRORS, InputSchema
from psynote.audit import log
from psynote.exchange import accounting, actions, gate
from psynote.exchange.access import get_authorization_for, get_client_for_exchange
from psynote.exchange.bases import EXCEPTIONS, KINDS
from psynote.exchange.models import Authorization, Disclosure

router = Router(tags=["disclosures"])

Kind = StrEnum("Kind", {kind: kind for kind in KINDS})  # type: ignore[misc]
ExceptionCode = StrEnum("ExceptionCode", {code: code for code in EXCEPTIONS})  # type: ignore[misc]
Format = StrEnum("Format", {value: value for value in Disclosure.Format.values})  # type: ignore[misc]


class AuthorizationOut(Schema):
    id: UUID
    client_id: UUID
    recipient_name: str
    recipient_organisation: str
    recipient_contact: str
    scope: list[str]
    date_from: date | None
    date_to: date | None
    purpose: str
    expires_on: date
    status: str
    signed: str
    created_at: datetime
    revoked_at: datetime | None
    revocation_reason: str

    @staticmethod
    def resolve_scope(obj: Authorization) -> list[str]:
        return sorted(obj.scope)

    @staticmethod
    def resolve_status(obj: Authorization) -> str:
        return obj.status()

    @staticmethod
    def resolve_signed(obj: Authorization) -> str:
        return "form" if obj.signed_form_type else "on_screen"


class AuthorizationIn(InputSchema):
    recipient_name: str = Field(min_length=1, max_length=200)
    recipient_organisation: str = Field("", max_length=200)
    recipient_contact: str = Field("", max_length=2000)
    scope: list[Kind] = Field(min_length=1)
    date_from: date | None = None
    date_to: date | None = None
    purpose: str = Field(min_length=1, max_length=5000)
    expires_on: date
    signed_on_screen_name: str = Field(
        "",
        max_length=200,
        description="The client's typed name, or empty when a signed form is attached.",
    )
    signed_form_base64: str = Field(
        "", max_length=15_000_000, description="The signed form (PDF, PNG or JPEG), base64."
    )
    signed_form_name: str = Field("", max_length=200)


class RevokeIn(InputSchema):
    reason: str = Field("", max_length=5000)


class DisclosureIn(InputSchema):
    authorization_id: UUID | None = None
    exception: ExceptionCode | None = None
    justification: str = Field("", max_length=5000)
    recipient_name: str = Field("", max_length=200)
    recipient_organisation: str = Field("", max_length=200)
    recipient_contact: str = Field("", max_length=2000)
    scope: list[Kind] = Field(min_length=1)
    date_from: date | None = None
    date_to: date | None = None
    purpose: str = Field("", max_length=5000, description="Empty: the authorization's purpose.")
    format: Format


class AccountingEntryOut(Schema):
    date: date
    recipient: str
    recipient_address: str
    description: str
    purpose: str
    # 164.528(b)(3): repeats to one recipient for one purpose are one entry
    count: int
    last_date: date | None


class AccountingOut(Schema):
    client_id: UUID
    period_start: date
    period_end: date
    entries: list[AccountingEntryOut]


@router.get(
    "/clients/{uuid:client_id}/authorizations", response={200: list[AuthorizationOut], **ERRORS}
)
def list_authorizations(request: HttpRequest, client_id: UUID) -> Any:
    client = get_client_for_exchange(request.user, client_id)
    log.record_by(
        request.user,
        "authorization.list",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    return 200, list(client.authorizations.all())


@router.post("/clients/{uuid:client_id}/authorizations", response={201: AuthorizationOut, **ERRORS})
def create_authorization(request: HttpRequest, client_id: UUID, payload: AuthorizationIn) -> Any:
    client = get_client_for_exchange(request.user, client_id, write=True)
    data = payload.model_dump()
    encoded = data.pop("signed_form_base64")
    form = None
    if encoded:
        try:
            form = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"signed_form_base64": "not valid base64"}) from None
    authorization = actions.create_authorization(
        by=request.user, client=client, signed_form=form, **data
    )
    return 201, authorization


@router.post(
    "/authorizations/{uuid:authorization_id}/revoke", response={200: AuthorizationOut, **ERRORS}
)
def revoke_authorization(request: HttpRequest, authorization_id: UUID, payload: RevokeIn) -> Any:
    authorization = get_authorization_for(request.user, authorization_id, write=True)
    return 200, actions.revoke_authorization(
        by=request.user, authorization=authorization, reason=payload.reason
    )


@router.post(
    "/clients/{uuid:client_id}/disclosures",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The signed export package (a .zip with manifest.json and "
                "manifest.sig). Headers: Content-Disposition names it; "
                "X-Package-SHA256 is its SHA-256 as logged.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def create_disclosure(request: HttpRequest, client_id: UUID, payload: DisclosureIn) -> Any:
    client = get_client_for_exchange(request.user, client_id, write=True)
    authorization = None
    if payload.authorization_id is not None:
        authorization = get_authorization_for(request.user, payload.authorization_id, write=True)
    if (authorization is None) == (payload.exception is None):
        raise ValidationError("Give either authorization_id or exception, not both or neither.")
    basis: gate.Basis = (
        authorization
        if authorization is not None
        else gate.UnderException(
            code=str(payload.exception),
            justification=payload.justification,
            recipient_name=payload.recipient_name,
            recipient_organisation=payload.recipient_organisation,
            recipient_contact=payload.recipient_contact,
        )
    )
    purpose = payload.purpose or (authorization.purpose if authorization else "")
    try:
        grant = gate.authorise(
            request.user,
            client,
            {str(k) for k in payload.scope},
            (payload.date_from, payload.date_to),
            purpose,
            basis,
        )
        package = gate.export_client(
            request.user, client, grant, str(payload.format), channel=Disclosure.Channel.API
        )
    except gate.Refused as refusal:
        raise ValidationError(str(refusal)) from None
    response = HttpResponse(package.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.name}"'
    response["X-Package-SHA256"] = package.sha256
    return response


@router.get(
    "/clients/{uuid:client_id}/accounting-of-disclosures", response={200: AccountingOut, **ERRORS}
)
def get_accounting(request: HttpRequest, client_id: UUID) -> Any:
    client = get_client_for_exchange(request.user, client_id)
    today = timezone.localdate()
    entries = list(accounting.entries(client, today))
    log.record_by(
        request.user,
        "disclosure.accounting",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"entries": len(entries), "format": "api"},
    )
    return 200, {
        "client_id": client.pk,
        "period_start": accounting.period_start(today),
        "period_end": today,
        "entries": [
            {
                "date": timezone.localtime(row["disclosure"].disclosed_at).date(),
                "recipient": row["disclosure"].recipient_display,
                "recipient_address": row["disclosure"].recipient_contact,
                "description": row["description"],
                "purpose": row["purpose"],
                "count": row["count"],
                "last_date": timezone.localtime(row["last"].disclosed_at).date()
                if row["last"]
                else None,
            }
            for row in accounting.rows(entries)
        ],
    }
