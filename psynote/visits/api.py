"""API routes for sessions. The session page's form (`visits.forms.SessionForm`) checks the
same rules here as on the page, and `visits.actions` writes; this module only turns JSON
into their arguments and their results back into JSON."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from psynote.api import (
    ERRORS,
    MAX_ID,
    Conflict,
    ErrorOut,
    InputSchema,
    PageOut,
    PageParams,
    page,
)
from psynote.audit import log
from psynote.clients.access import Need, get_client_for
from psynote.lib.clock import OptionalLocalTime
from psynote.visits import actions, cpt
from psynote.visits.access import (
    default_attendance,
    get_session_for,
    get_session_to_change,
    names_clinician,
    recording_need,
    session_clinicians,
    sessions_for,
)
from psynote.visits.forms import SessionForm
from psynote.visits.models import Session

router = Router(tags=["sessions"])

Service = StrEnum("Service", {key: key for key, _ in cpt.SERVICES})  # type: ignore[misc]
Modality = StrEnum("Modality", {v: v for v in Session.Modality.values})  # type: ignore[misc]
Place = StrEnum("Place", {v: v for v in Session.Place.values})  # type: ignore[misc]
Attendance = StrEnum("Attendance", {v: v for v in Session.Attendance.values})  # type: ignore[misc]


class CptLineOut(Schema):
    code: str = Field(description="The CPT code as a claim carries it, without the add-on '+'")
    add_on: bool = Field(description="An add-on code, listed with its primary code "
                         "(shown as '+' + code to clinicians)")
    units: int = Field(description="Units of this code (crisis +90840: one per further 30 min)")


class CptOut(Schema):
    codes: list[str] = Field(
        description="CPT codes for a billing system, one per unit, without the add-on '+' "
        "(e.g. ['90839', '90840'])"
    )
    lines: list[CptLineOut] = Field(description="The same codes, one line per code with units")
    display: str = Field(
        description="The suggestion as shown to clinicians, add-on codes marked '+' "
        "(e.g. '90839 +90840'), or 'none'"
    )
    reason: str


class SessionOut(Schema):
    id: UUID
    client_id: UUID
    clinician_id: int
    clinician_name: str
    date: date
    start_time: OptionalLocalTime
    end_time: OptionalLocalTime
    minutes: int | None
    service: str
    modality: str
    place: str
    attendance: str
    interactive_complexity: bool
    cpt: CptOut = Field(description="Suggested CPT codes from service and face-to-face time")
    pos_code: str = Field(description="Medicare telehealth place of service (02/10), or blank")
    telehealth_modifier: str = Field(description="95 video, 93 audio only, blank in person")
    created_at: datetime

    @staticmethod
    def resolve_clinician_name(session: Session) -> str:
        return session.clinician.signature_name

    @staticmethod
    def resolve_cpt(session: Session) -> dict[str, Any]:
        suggestion = session.cpt_suggestion()
        return {
            "codes": suggestion.billing_codes,
            "lines": [
                {"code": line.code, "add_on": line.add_on, "units": line.units}
                for line in suggestion.lines
            ],
            "display": suggestion.text,
            "reason": suggestion.reason,
        }


class SessionPageOut(PageOut):
    items: list[SessionOut]


class _SessionFields(InputSchema):
    @field_validator("start_time", "end_time", check_fields=False)
    @classmethod
    def _local_time(cls, value: time | None) -> time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("give the local clock time, without a time zone")
        return value


class SessionIn(_SessionFields):
    date: date
    start_time: OptionalLocalTime = None
    end_time: OptionalLocalTime = None
    service: Service = cpt.PSYCHOTHERAPY  # type: ignore[valid-type]
    modality: Modality = Session.Modality.IN_PERSON  # type: ignore[valid-type]
    place: Place = Session.Place.OFFICE  # type: ignore[valid-type]
    attendance: Attendance | None = Field(  # type: ignore[valid-type]
        None,
        description="Default: attended when a clinician records it, scheduled when front desk does",
    )
    interactive_complexity: bool = False
    clinician_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Required for front desk: a clinician on the "
        "client's care team. Clinicians record their own.",
    )


class SessionPatch(_SessionFields):
    date: date = None  # type: ignore[assignment]
    start_time: OptionalLocalTime = None
    end_time: OptionalLocalTime = None
    service: Service = None  # type: ignore[valid-type]
    modality: Modality = None  # type: ignore[valid-type]
    place: Place = None  # type: ignore[valid-type]
    attendance: Attendance = None  # type: ignore[valid-type]
    interactive_complexity: bool = None  # type: ignore[assignment]


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """The page's form rules (times in order, attended sessions not in the future, ...)."""
    form = SessionForm(data)
    if not form.is_valid():
        raise ValidationError(
            {
                field: [error["message"] for error in errors]
                for field, errors in form.errors.get_json_data().items()
            }
        )
    return form.session_fields()


def _clinician(user: Any, client: Any, clinician_id: int | None) -> Any:
    if not names_clinician(user):
        if clinician_id not in (None, user.pk):
            raise ValidationError(
                {"clinician_id": "clinicians record their own sessions; leave this out"}
            )
        return user
    if clinician_id is None:
        raise ValidationError({"clinician_id": "choose the clinician who sees the client"})
    clinician = session_clinicians(client).filter(pk=clinician_id).first()
    if clinician is None:
        raise ValidationError(
            {"clinician_id": "no active clinician on this client's care team has that id"}
        )
    return clinician


def _session(session: Session) -> Session:
    return Session.objects.select_related("clinician").get(pk=session.pk)


@router.get("/clients/{uuid:client_id}/sessions", response={200: SessionPageOut, **ERRORS})
def list_sessions(
    request: HttpRequest, client_id: UUID, params: Query[PageParams]
) -> dict[str, Any]:
    """The client's sessions, latest first."""
    client = get_client_for(request.user, client_id, Need.SCHEDULE)
    sessions = sessions_for(request.user, Need.SCHEDULE).filter(client=client)
    log.record_by(
        request.user, "session.list", target_type="client", target_id=client.pk, client_id=client.pk
    )
    return page(sessions.select_related("clinician"), params)


def record_session(user: Any, client: Any, payload: SessionIn) -> Session:
    """Check a SessionIn as the page's form does and record it, in the caller's
    transaction; the session answers as SessionOut without another read (its clinician is
    the one checked here). Also the first half of `POST /sessions` with a note
    (notes.session_api)."""
    data = payload.model_dump(include=set(SessionIn.model_fields) - {"clinician_id"})
    if data["attendance"] is None:
        data["attendance"] = default_attendance(user)
    fields = _checked(data)
    clinician = _clinician(user, client, payload.clinician_id)
    session = actions.add_session(by=user, client=client, clinician=clinician, **fields)
    session.clinician = clinician
    return session


@router.post("/clients/{uuid:client_id}/sessions", response={201: SessionOut, **ERRORS})
def create_session(
    request: HttpRequest, client_id: UUID, payload: SessionIn
) -> tuple[int, Session]:
    user = request.user
    client = get_client_for(user, client_id, recording_need(user))
    # The write and its event in one transaction; the access check before it only reads.
    with transaction.atomic():
        return 201, record_session(user, client, payload)


@router.get("/sessions/{uuid:session_id}", response={200: SessionOut, **ERRORS})
def get_session(request: HttpRequest, session_id: UUID) -> Session:
    session = get_session_for(request.user, session_id, Need.SCHEDULE)
    log.record_by(
        request.user,
        "session.view",
        target_type="session",
        target_id=session.pk,
        client_id=session.client_id,
    )
    return session


@router.patch("/sessions/{uuid:session_id}", response={200: SessionOut, 409: ErrorOut, **ERRORS})
def update_session(request: HttpRequest, session_id: UUID, payload: SessionPatch) -> Session:
    user = request.user
    session = get_session_to_change(user, session_id)
    note = getattr(session, "progress_note", None)
    if note is not None and note.is_signed:
        raise Conflict(
            "this session's progress note is signed; its time, service and "
            "attendance are part of the signed record (add an addendum)"
        )
    changes = payload.model_dump(exclude_unset=True)
    fields = _checked(model_to_dict(session, fields=actions.FIELDS) | changes)
    actions.update_session(by=user, session=session, **{name: fields[name] for name in changes})
    return _session(session)
