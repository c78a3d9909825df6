"""A session as an Encounter: its period is the session's start and stop times, its class
the modality (virtual for telehealth)."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.validation import validated
from psynote.visits.models import Session


def encounter(session: Session) -> dict[str, Any]:
    code, display = codes.ENCOUNTER_CLASS[session.modality]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "status": codes.ENCOUNTER_STATUS[session.attendance],
        "class": {"system": codes.V3_ACT_CODE, "code": code, "display": display},
        "type": [{"text": f"{session.get_service_display()} "
                          f"({session.get_attendance_display().lower()})"}],
        "subject": ref("Patient", session.client_id),
        "participant": [{"individual": ref("Practitioner", session.clinician_id)}],
    }
    tz = timezone.get_current_timezone()
    period: dict[str, str] = {}
    if session.start_time is not None:
        period["start"] = instant(datetime.combine(session.date, session.start_time, tz))
    if session.end_time is not None:
        period["end"] = instant(datetime.combine(session.date, session.end_time, tz))
    resource["period"] = period or {"start": session.date.isoformat()}
    return validated(resource)

