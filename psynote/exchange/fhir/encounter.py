"""A session as an Encounter (US Core Encounter): its period is the session's start and
stop times, its class the modality (AMB ambulatory, VR virtual for telehealth), its type
the CPT code(s) billed for it, its participant the clinician, its service provider the
practice."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.organization import organization_ref
from psynote.exchange.fhir.validation import validated
from psynote.visits.models import Session


def session_period(session: Session) -> dict[str, str]:
    """Start and end as instants; the end on the next day for a session that crossed
    midnight (the session's own rule, visits.models.Session.end_date)."""
    tz = timezone.get_current_timezone()
    if session.start_time is None:
        return {"start": session.date.isoformat()}
    start = datetime.combine(session.date, session.start_time, tz)
    period = {"start": instant(start)}
    if session.end_time is not None:
        period["end"] = instant(datetime.combine(session.end_date, session.end_time, tz))
    return period


def cpt_codes(session: Session) -> list[str]:
    """The CPT codes of the session, without the "+" add-on prefix: those its signed note
    recorded (what was billed), else those suggested from its service and minutes."""
    try:
        note = session.progress_note
    except ObjectDoesNotExist:
        note = None
    text = note.cpt_code if note is not None and note.is_signed else \
        session.cpt_suggestion().text
    return [word.lstrip("+") for word in text.split() if word.lstrip("+").isdigit()]


def participants(session: Session) -> list[dict[str, Any]]:
    """The other people of a couples or family session, by role only: no name and no
    reference, since a participant who is a client has a record of their own that this
    session's note is not part of (ADR 0014). A group session lists nobody: the members
    each have their own Encounter, and no member's record names another."""
    return [{"type": [{"coding": [codes.PARTICIPANT], "text": p.get_role_display()}],
             "period": session_period(session)} for p in session.participants.all()]


def encounter(session: Session) -> dict[str, Any]:
    code, display = codes.ENCOUNTER_CLASS[session.modality]
    service = session.get_service_display()
    attendance = session.get_attendance_display().lower()
    cpt = cpt_codes(session) if session.attendance == Session.Attendance.ATTENDED else []
    types = [{"coding": [{"system": codes.CPT, "code": number}],
              "text": f"{service} ({attendance})" if i == 0 else f"Add-on code {number}"}
             for i, number in enumerate(cpt)] or [{"text": f"{service} ({attendance})"}]
    period = session_period(session)
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "identifier": [{"system": codes.local_system(session.client.practice_id, "session"),
                        "value": str(session.pk)}],
        "status": codes.ENCOUNTER_STATUS[session.attendance],
        "class": {"system": codes.V3_ACT_CODE, "code": code, "display": display},
        "type": types,
        "subject": ref("Patient", session.client_id),
        "participant": [{"type": [{"coding": [codes.PRIMARY_PERFORMER]}],
                         "period": period,
                         "individual": ref("Practitioner", session.clinician_id)}]
        + participants(session),
        "period": period,
        "serviceProvider": organization_ref(session.client.practice_id),
    }
    return validated(resource)
