"""API routes for measures: the instrument library, administrations with their scores,
self-report links and risk alerts. The same access functions and actions as the pages
(`measures.views`); answers that do not score are refused with the scoring's own sentence
(400) and nothing is written."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from pydantic import Field, StrictInt

from psynote.api import ERRORS, InputSchema
from psynote.audit import log
from psynote.clients.access import Need, get_client_for
from psynote.measures import access, actions, library, outcomes
from psynote.measures.models import SELF_REPORT_LINK_DAYS, Administration, RiskAlert

router = Router(tags=["measures"])


# --- schemas ----------------------------------------------------------------------------


class OptionOut(Schema):
    value: int
    label: str
    loinc: str | None


class ItemOut(Schema):
    number: int
    text: str
    loinc: str | None
    scored: bool
    options: list[OptionOut]


class BandOut(Schema):
    min: int
    max: int
    label: str


class CutoffOut(Schema):
    key: str
    on: str
    op: str
    value: int
    label: str
    sex: str | None


class CriticalItemOut(Schema):
    item: int
    op: str
    value: int
    label: str


class InstrumentSummaryOut(Schema):
    key: str
    title: str
    short_name: str
    measures: str
    timeframe: str
    items: int
    loinc_panel: str | None
    loinc_total: str | None

    @staticmethod
    def resolve_items(instrument: library.Instrument) -> int:
        return len(instrument.items)


class InstrumentOut(Schema):
    key: str
    title: str
    short_name: str
    measures: str
    timeframe: str
    instructions: str
    higher_is_better: bool
    loinc_panel: str | None
    loinc_total: str | None
    licence: str
    score_range: list[int]
    multiplier: int
    missing_items: str
    items: list[ItemOut]
    bands: list[BandOut]
    cutoffs: list[CutoffOut]
    critical_items: list[CriticalItemOut]

    @staticmethod
    def resolve_licence(instrument: library.Instrument) -> str:
        return instrument.licence_text

    @staticmethod
    def resolve_score_range(instrument: library.Instrument) -> list[int]:
        return [instrument.scoring.low, instrument.scoring.high]

    @staticmethod
    def resolve_multiplier(instrument: library.Instrument) -> int:
        return instrument.scoring.multiplier

    @staticmethod
    def resolve_missing_items(instrument: library.Instrument) -> str:
        rule = instrument.scoring
        if rule.prorates:
            return f"prorated with at most {rule.max_missing} missing"
        return "refused: every item must be answered"


class AdministrationOut(Schema):
    id: UUID
    client_id: UUID
    instrument: str
    administered_at: datetime
    source: str
    total: int
    score: int = Field(description="The reported score: the percentage for WHO-5, else total.")
    band: str
    critical: bool
    risk_alert_id: int | None

    @staticmethod
    def resolve_score(administration: Administration) -> int:
        return outcomes.reported(administration)

    @staticmethod
    def resolve_critical(administration: Administration) -> bool:
        return bool(administration.flags.get("critical_items"))

    @staticmethod
    def resolve_risk_alert_id(administration: Administration) -> int | None:
        alert = getattr(administration, "risk_alert", None)
        return alert.pk if alert is not None else None


class AdministrationDetailOut(AdministrationOut):
    answers: dict[str, int]
    details: dict[str, Any] = Field(
        description="Raw total, percentage, prorating, screens (a screen with review: true is "
        "a published cut-off range, PCL-5 31–33, flagged for review), critical items and "
        "(PCL-5) the provisional diagnosis by cut-off and by DSM cluster rule."
    )
    loinc_panel: str | None
    loinc_total: str | None

    @staticmethod
    def resolve_details(administration: Administration) -> dict[str, Any]:
        return administration.flags

    @staticmethod
    def resolve_loinc_panel(administration: Administration) -> str | None:
        return _definition(administration).loinc_panel if _definition(administration) else None

    @staticmethod
    def resolve_loinc_total(administration: Administration) -> str | None:
        return _definition(administration).loinc_total if _definition(administration) else None


def _definition(administration: Administration) -> library.Instrument | None:
    return library.load_all().get(administration.instrument)


class AdministrationIn(InputSchema):
    instrument: str = Field(max_length=32, description="Instrument key, e.g. phq9")
    answers: dict[str, StrictInt | None] = Field(
        description='Item number → answer value, e.g. {"1": 2, "2": 0, ...}'
    )
    administered_at: datetime | None = Field(None, description="Defaults to now.")


class LinkIn(InputSchema):
    instrument: str = Field(max_length=32)
    days: int = Field(SELF_REPORT_LINK_DAYS, ge=1, le=actions.MAX_LINK_DAYS)


class LinkOut(Schema):
    id: UUID
    instrument: str
    url: str
    token: str = Field(description="Shown once: only its SHA-256 is stored.")
    expires_at: datetime


class RiskAlertOut(Schema):
    id: int
    client_id: UUID
    administration_id: UUID
    reasons: list[str]
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str
    resolution_note: str

    @staticmethod
    def resolve_reasons(alert: RiskAlert) -> list[str]:
        return alert.reasons()

    @staticmethod
    def resolve_resolved_by(alert: RiskAlert) -> str | None:
        return alert.resolved_by.signature_name if alert.resolved_by_id else None

    @staticmethod
    def resolve_resolution_note(alert: RiskAlert) -> str:
        return alert.resolution_note()


# --- routes -----------------------------------------------------------------------------


@router.get("/instruments", response={200: list[InstrumentSummaryOut], **ERRORS})
def list_instruments(request: HttpRequest) -> list[library.Instrument]:
    """The instrument library (public, free-to-use questionnaires)."""
    return list(library.load_all().values())


@router.get("/instruments/{key}", response={200: InstrumentOut, **ERRORS})
def get_instrument(request: HttpRequest, key: str) -> library.Instrument:
    """Items, answer options, bands, cut-offs, critical items and LOINC codes."""
    return access.instrument_or_404(key)


@router.get(
    "/clients/{uuid:client_id}/administrations",
    response={200: list[AdministrationOut], **ERRORS},
)
def list_administrations(
    request: HttpRequest, client_id: UUID, instrument: str | None = None
) -> list[Administration]:
    """A client's administrations, newest first; `instrument` narrows to one key."""
    client = get_client_for(request.user, client_id, Need.CLINICAL)
    rows = client.administrations.select_related("risk_alert").order_by(
        "-administered_at", "-created_at"
    )
    if instrument:
        rows = rows.filter(instrument=instrument)
    log.record_by(
        request.user,
        "measures.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    return list(rows)


@router.post(
    "/clients/{uuid:client_id}/administrations",
    response={201: AdministrationDetailOut, **ERRORS},
)
def create_administration(
    request: HttpRequest, client_id: UUID, payload: AdministrationIn
) -> tuple[int, Administration]:
    """Score and store answers given in session. Out-of-range or incomplete answers are
    refused (400) with the reason, and nothing is stored."""
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    administration = actions.administer(
        by=request.user,
        client=client,
        instrument_key=payload.instrument,
        answers=payload.answers,
        administered_at=payload.administered_at,
    )
    return 201, Administration.objects.select_related("risk_alert").get(pk=administration.pk)


@router.get(
    "/administrations/{uuid:administration_id}", response={200: AdministrationDetailOut, **ERRORS}
)
def get_administration(request: HttpRequest, administration_id: UUID) -> Administration:
    administration = access.get_administration_for(request.user, administration_id)
    log.record_by(
        request.user,
        "administration.view",
        target_type="administration",
        target_id=administration.pk,
        client_id=administration.client_id,
    )
    return administration


@router.post("/clients/{uuid:client_id}/self-report-links", response={201: LinkOut, **ERRORS})
def create_link(request: HttpRequest, client_id: UUID, payload: LinkIn) -> tuple[int, dict]:
    """A single-use link the client opens without an account; the token is shown once."""
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    link, token = actions.create_self_report_link(
        by=request.user, client=client, instrument_key=payload.instrument, days=payload.days
    )
    return 201, {
        "id": link.pk,
        "instrument": link.instrument,
        "url": request.build_absolute_uri(reverse("self_report", args=[token])),
        "token": token,
        "expires_at": link.expires_at,
    }


@router.get("/clients/{uuid:client_id}/risk-alerts", response={200: list[RiskAlertOut], **ERRORS})
def list_risk_alerts(
    request: HttpRequest, client_id: UUID, open_only: bool = False
) -> list[RiskAlert]:
    """Risk alerts raised by critical answers, newest first; `open_only` for open ones."""
    client = get_client_for(request.user, client_id, Need.CLINICAL)
    alerts = client.risk_alerts.select_related("client", "administration", "resolved_by")
    if open_only:
        alerts = alerts.open()
    log.record_by(
        request.user,
        "risk_alert.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    return list(alerts.order_by("-opened_at"))
