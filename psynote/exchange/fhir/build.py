"""A client's record as FHIR R4 resources (US Core shaped), each validated by constructing
its `fhir.resources.R4B` model (DOMAIN.md §6.3, §6.5).

What goes out is chosen by `scope` (SCOPES) and a date range; nothing here checks who
asks: the disclosure gate in `psynote.exchange` decides that before calling in. Rules
that hold whatever the scope:

- drafts are never exported (only signed progress notes, with their addenda);
- psychotherapy notes only when `psychotherapy_notes` is in scope, as a distinct
  document type carrying the PSYTHPN security label (DOMAIN.md §1.1-1.2);
- every code comes from a shipped table (`codes`); a resource that does not validate
  raises `FhirValidationError` and nothing is returned.

Mapping decisions: Encounters go out with progress notes (the notes point at them);
progress notes are LOINC 34904-3 Mental health Progress note (see codes.py); the note is
a text/plain attachment (addenda appended in signing order) plus an application/json
attachment with the exact signed content, so that a receiving Psynote can re-verify the
content hash; the content hash is an identifier of the DocumentReference and an
extension of the signature's Provenance.
"""

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pydantic
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from psynote.accounts.models import User
from psynote.clients.models import Client
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.render import note_text
from psynote.lib import canonical_json
from psynote.measures import library
from psynote.measures.models import Administration
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.visits.models import Session

SCOPES = frozenset({"demographics", "diagnoses", "progress_notes", "measures", "plans",
                    "psychotherapy_notes"})
# Everything in the designated record set; psychotherapy notes are never a default.
RECORD_SCOPE = SCOPES - {"psychotherapy_notes"}
SOURCE_FORMAT = "psynote-progress-note/1"
SOURCE_CONTENT_TYPE = "application/json"

DateRange = tuple[date | None, date | None]


class FhirValidationError(ValueError):
    """A resource we built does not validate against its FHIR R4B model."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as its R4B model accepts and serialises it; raises on any problem."""
    kind = resource["resourceType"]
    try:
        model = get_fhir_model_class(kind).model_validate(resource)
    except pydantic.ValidationError as error:
        raise FhirValidationError(f"{kind}/{resource.get('id', '?')}: {error}") from error
    return model.model_dump(mode="json", exclude_none=True)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _ref(kind: str, pk: object) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


def _attachment(data: bytes, content_type: str, title: str, created: datetime
                ) -> dict[str, Any]:
    return {"contentType": content_type, "data": base64.b64encode(data).decode(),
            "title": title, "creation": _instant(created), "size": len(data)}


def _in_range(day: date, date_range: DateRange) -> bool:
    start, end = date_range
    return (start is None or day >= start) and (end is None or day <= end)


def check_scope(scope: Iterable[str]) -> frozenset[str]:
    scope = frozenset(scope)
    unknown = scope - SCOPES
    if unknown:
        raise ValueError(f"unknown scope {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(sorted(SCOPES))}")
    return scope


# ---- people -----------------------------------------------------------------------------


def practitioner(user: User) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": user.is_active,
        "name": [{"text": user.signature_name, "family": user.last_name or user.username,
                  **({"given": [user.first_name]} if user.first_name else {})}],
    }
    if user.licence_number:
        resource["identifier"] = [{
            "system": codes.licence_system(user.practice_id or 0, user.licence_state),
            "value": user.licence_number}]
    if user.credentials:
        qualification: dict[str, Any] = {"code": {"text": user.credentials}}
        if user.licence_number:
            qualification["identifier"] = resource["identifier"]
        resource["qualification"] = [qualification]
    return validated(resource)


def practitioner_role(user: User) -> dict[str, Any]:
    return validated({
        "resourceType": "PractitionerRole",
        "id": f"role-{user.pk}",
        "active": user.is_active,
        "practitioner": _ref("Practitioner", user.pk),
        "code": [{"text": user.get_role_display()}],
        **({"specialty": [{"text": user.credentials}]} if user.credentials else {}),
    })


def patient(client: Client, *, demographics: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [{"system": codes.local_system(client.practice_id, "client"),
                        "value": str(client.pk)}],
        "active": client.status == Client.Status.ACTIVE,
    }
    if demographics:
        names: list[dict[str, Any]] = [{"use": "official", "family": client.last_name,
                                        "given": [client.first_name]}]
        if client.preferred_name:
            names.append({"use": "usual", "family": client.last_name,
                          "given": [client.preferred_name]})
        resource["name"] = names
        resource["birthDate"] = client.date_of_birth.isoformat()
        # Patient.gender is administrative gender; the only recorded value that maps to
        # it is sex assigned at birth (intersex -> other). Gender identity stays in text.
        gender = {"female": "female", "male": "male", "intersex": "other",
                  "unknown": "unknown"}.get(client.sex_assigned_at_birth)
        if gender:
            resource["gender"] = gender
        telecom = []
        if client.phone:
            telecom.append({"system": "phone", "value": client.phone})
        if client.email:
            telecom.append({"system": "email", "value": client.email})
        if telecom:
            resource["telecom"] = telecom
        if client.address:
            resource["address"] = [{"text": client.address}]
    return validated(resource)


# ---- record -----------------------------------------------------------------------------


def encounter(session: Session) -> dict[str, Any]:
    code, display = codes.ENCOUNTER_CLASS[session.modality]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "status": codes.ENCOUNTER_STATUS[session.attendance],
        "class": {"system": codes.V3_ACT_CODE, "code": code, "display": display},
        "type": [{"text": f"{session.get_service_display()} "
                          f"({session.get_attendance_display().lower()})"}],
        "subject": _ref("Patient", session.client_id),
        "participant": [{"individual": _ref("Practitioner", session.clinician_id)}],
    }
    tz = timezone.get_current_timezone()
    period: dict[str, str] = {}
    if session.start_time is not None:
        period["start"] = _instant(datetime.combine(session.date, session.start_time, tz))
    if session.end_time is not None:
        period["end"] = _instant(datetime.combine(session.date, session.end_time, tz))
    resource["period"] = period or {"start": session.date.isoformat()}
    return validated(resource)


def condition(diagnosis: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(diagnosis.pk),
        "clinicalStatus": {"coding": [{
            "system": codes.CONDITION_CLINICAL,
            "code": codes.CONDITION_CLINICAL_STATUS[diagnosis.status]}]},
        "verificationStatus": {"coding": [{
            "system": codes.CONDITION_VERIFICATION,
            "code": codes.CONDITION_VERIFICATION_STATUS[diagnosis.status]}]},
        "category": [{"coding": [{"system": codes.CONDITION_CATEGORY,
                                  "code": "problem-list-item", "display": "Problem List Item"}]}],
        "code": {"coding": [codes.icd10_coding(diagnosis.code)], "text": diagnosis.description},
        "subject": _ref("Patient", diagnosis.client_id),
        "recordedDate": _instant(diagnosis.added_at),
        "recorder": _ref("Practitioner", diagnosis.added_by_id),
    }
    if diagnosis.onset_date:
        resource["onsetDateTime"] = diagnosis.onset_date.isoformat()
    return validated(resource)


def _answer(instrument: library.Instrument, number: int, value: int) -> dict[str, Any]:
    item = instrument.item(number)
    option = next((o for o in item.options if o.value == value), None) if item else None
    if option is not None and option.loinc:
        return {"valueCoding": {**codes.loinc_coding(option.loinc), "display": option.label}}
    return {"valueInteger": value}


def questionnaire_response(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    questionnaire = (f"http://loinc.org/q/{instrument.loinc_panel}" if instrument.loinc_panel
                     else f"{codes.LOCAL}:questionnaire:{instrument.key}")
    answers = {int(k): v for k, v in administration.answers.items()}
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": str(item.number), "text": item.text}
        if answers.get(item.number) is not None:
            entry["answer"] = [_answer(instrument, item.number, answers[item.number])]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(administration.pk),
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": _ref("Patient", administration.client_id),
        "authored": _instant(administration.administered_at),
        "item": items,
    }
    if administration.source == Administration.Source.SELF_REPORT:
        resource["source"] = _ref("Patient", administration.client_id)
    elif administration.created_by_id:
        resource["author"] = _ref("Practitioner", administration.created_by_id)
    return validated(resource)


def observation(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    code: dict[str, Any] = {"text": f"{instrument.short_name} total score"}
    if instrument.loinc_total:
        code["coding"] = [codes.loinc_coding(instrument.loinc_total)]
    else:
        code["coding"] = [{"system": f"{codes.LOCAL}:instrument", "code": instrument.key,
                           "display": instrument.title}]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(administration.pk),
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey",
                                  "display": "Survey"}]}],
        "code": code,
        "subject": _ref("Patient", administration.client_id),
        "effectiveDateTime": _instant(administration.administered_at),
        "valueInteger": administration.total,
        "derivedFrom": [_ref("QuestionnaireResponse", administration.pk)],
    }
    if administration.band:
        resource["interpretation"] = [{"text": administration.band}]
    if administration.created_by_id:
        resource["performer"] = [_ref("Practitioner", administration.created_by_id)]
    return validated(resource)


def note_source(note: ProgressNote, addenda: list[Addendum]) -> dict[str, Any]:
    """The exact signed content, so a receiving Psynote can recompute the content hash."""
    return {"format": SOURCE_FORMAT, "note": str(note.pk), "content": note.content(),
            "addenda": [{"id": str(a.pk), "body": a.body()} for a in addenda]}


def progress_note_document(note: ProgressNote, addenda: list[Addendum]) -> dict[str, Any]:
    assert note.is_signed, "drafts are never exported"
    type_code, type_display = codes.PROGRESS_NOTE_TYPE
    text = note_text(note, addenda).encode()
    source = canonical_json.dumps(note_source(note, addenda))
    authors = [note.author_id] + [a.author_id for a in addenda if a.author_id != note.author_id]
    session = note.session
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(note.pk),
        "identifier": [{"system": codes.CONTENT_HASH_SYSTEM, "value": note.content_hash}],
        "status": "current",
        "docStatus": "amended" if addenda else "final",
        "type": {"coding": [codes.loinc_coding(type_code, type_display)],
                 "text": "Progress note"},
        "category": [{"coding": [{"system": codes.US_CORE_DOC_CATEGORY,
                                  "code": codes.CLINICAL_NOTE_CATEGORY[0],
                                  "display": codes.CLINICAL_NOTE_CATEGORY[1]}]}],
        "subject": _ref("Patient", note.client_id),
        "date": _instant(note.signed_at),
        "author": [_ref("Practitioner", pk) for pk in dict.fromkeys(authors)],
        "authenticator": _ref("Practitioner", note.signed_by_id),
        "description": f"Progress note, session of {session.date.isoformat()}"
                       + (" (late entry)" if note.late_entry else ""),
        "content": [
            {"attachment": _attachment(text, "text/plain; charset=utf-8",
                                       "Progress note (plain text)", note.signed_at)},
            {"attachment": _attachment(source, SOURCE_CONTENT_TYPE,
                                       "Signed content (canonical JSON)", note.signed_at)},
        ],
        "context": {"encounter": [_ref("Encounter", note.session_id)]},
    }
    return validated(resource)


def signature_provenance(record: ProgressNote | Addendum) -> dict[str, Any]:
    """Who signed what, when, and the SHA-256 the signature vouches for."""
    note_id = record.pk if isinstance(record, ProgressNote) else record.note_id
    what = "progress note" if isinstance(record, ProgressNote) else "addendum"
    who = _ref("Practitioner", record.signed_by_id)
    return validated({
        "resourceType": "Provenance",
        "id": f"sign-{record.pk}",
        "extension": [{"url": codes.CONTENT_HASH_EXTENSION, "valueString": record.content_hash}],
        "target": [_ref("DocumentReference", note_id)],
        "recorded": _instant(record.signed_at),
        "reason": [{"text": f"Signature of the {what} {record.pk}"}],
        "agent": [{"type": {"coding": [{"system": codes.PROVENANCE_PARTICIPANT,
                                        "code": "author", "display": "Author"}]},
                   "who": who}],
        "signature": [{"type": [{"system": codes.SIGNATURE_TYPE,
                                 "code": codes.AUTHORS_SIGNATURE,
                                 "display": "Author's Signature"}],
                       "when": _instant(record.signed_at), "who": who}],
    })


def psychotherapy_note_document(note: PsychotherapyNote) -> dict[str, Any]:
    code, display = codes.PSYCHOTHERAPY_NOTE_TYPE
    body = note.body().encode()
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(note.pk),
        "meta": {"security": [codes.PSYCHOTHERAPY_SECURITY]},
        "status": "current",
        "type": {"coding": [{"system": codes.DOCUMENT_TYPE_LOCAL, "code": code,
                             "display": display}], "text": display},
        "category": [{"coding": [{"system": codes.US_CORE_DOC_CATEGORY,
                                  "code": codes.CLINICAL_NOTE_CATEGORY[0]}]}],
        "subject": _ref("Patient", note.client_id),
        "date": _instant(note.updated_at),
        "author": [_ref("Practitioner", note.author_id)],
        "description": "Psychotherapy note: released only under an authorization that "
                       "names psychotherapy notes (45 CFR 164.508(a)(2))",
        "content": [{"attachment": _attachment(body, "text/plain; charset=utf-8",
                                               "Psychotherapy note", note.updated_at)}],
    }
    if note.session_id:
        resource["context"] = {"encounter": [_ref("Encounter", note.session_id)]}
    return validated(resource)


# ---- authorizations --------------------------------------------------------------------

# What each record kind of an authorization covers, as FHIR resource types
# (Consent.provision.class, extensible binding to the resource types).
SCOPE_RESOURCES = {
    "demographics": ("Patient",),
    "diagnoses": ("Condition",),
    "progress_notes": ("Encounter", "DocumentReference"),
    "plans": ("CarePlan", "Goal"),
    "measures": ("QuestionnaireResponse", "Observation"),
}


def _authorizations(client: Client) -> list[Any]:
    """The client's authorizations that may travel with the record.

    An authorization naming psychotherapy notes is left out: its existence says that
    psychotherapy notes exist, and they never enter FHIR resources (DOMAIN.md §1.1-1.2)."""
    from psynote.exchange.models import Authorization

    return list(Authorization.objects.filter(client=client, scope_psychotherapy_notes=False)
                .order_by("created_at", "id"))


def consent(authorization: Any) -> dict[str, Any]:
    """An authorization (release of information) as a Consent (DOMAIN.md §6.3).

    Included with `demographics` in scope: an authorization names the client and who may
    receive their record, which is demographic, not clinical, content. The signed form
    itself stays in the practice: the Consent says how it was signed, not what it shows."""
    signed_at = authorization.signed_on_screen_at or authorization.created_at
    if authorization.signed_on_screen_name:
        source = {"title": f"Signed on screen by {authorization.signed_on_screen_name}",
                  "creation": _instant(signed_at)}
    else:
        source = {"contentType": authorization.signed_form_type,
                  "title": authorization.signed_form_name or "Signed authorization form",
                  "size": authorization.signed_form_size, "creation": _instant(signed_at)}
    end = authorization.expires_on
    if authorization.revoked_at is not None:
        end = min(end, timezone.localtime(authorization.revoked_at).date())
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": timezone.localtime(authorization.created_at).date().isoformat(),
                   "end": end.isoformat()},
        "actor": [{"role": {"coding": [{"system": codes.PARTICIPATION_TYPE, "code": "IRCP",
                                        "display": "information recipient"}]},
                   "reference": {"display": authorization.recipient_display}}],
        "action": [{"coding": [{"system": codes.CONSENT_ACTION, "code": "disclose",
                                "display": "Disclose"}]}],
        "class": [{"system": codes.RESOURCE_TYPES, "code": kind}
                  for scope in sorted(authorization.scope)
                  for kind in SCOPE_RESOURCES.get(scope, ())],
    }
    if authorization.date_from or authorization.date_to:
        provision["dataPeriod"] = {
            **({"start": authorization.date_from.isoformat()} if authorization.date_from
               else {}),
            **({"end": authorization.date_to.isoformat()} if authorization.date_to else {}),
        }
    return validated({
        "resourceType": "Consent",
        "id": str(authorization.pk),
        "extension": [{"url": codes.PURPOSE_EXTENSION, "valueString": authorization.purpose}],
        "status": codes.CONSENT_STATUS[authorization.status()],
        "scope": {"coding": [{"system": codes.CONSENT_SCOPE, "code": "patient-privacy",
                              "display": "Privacy Consent"}]},
        "category": [{"coding": [codes.loinc_coding(*codes.CONSENT_CATEGORY)]}],
        "patient": _ref("Patient", authorization.client_id),
        "dateTime": _instant(signed_at),
        "performer": [_ref("Patient", authorization.client_id)],
        "sourceAttachment": source,
        "policyRule": {"coding": [{"system": codes.CONSENT_POLICY, "code": "hipaa-auth",
                                   "display": "HIPAA Authorization"}]},
        "provision": provision,
    })


# ---- treatment plan ---------------------------------------------------------------------


def _plan_version(client: Client, date_range: DateRange) -> Any:
    """The plan version to export: the newest signed one (the version in force) among
    those signed within the date range; None without one or without the plans app."""
    from psynote.exchange import selection

    versions = selection.plan_versions(client, date_range)
    if versions is None:
        return None
    version = versions.with_superseded().select_related("plan__client").last()
    return version


def _goal_status(statuses: list[str]) -> tuple[str, str | None]:
    """Goal.lifecycleStatus and achievementStatus from its objectives' statuses."""
    open_ = [s for s in statuses if s in ("not_started", "in_progress", "revised")]
    if statuses and not open_:
        if "achieved" in statuses:
            return "completed", "achieved"
        return "cancelled", None
    if any(s in ("in_progress", "revised", "achieved") for s in statuses):
        return "active", "in-progress"
    return "active", None


def plan_resources(version: Any, *, diagnoses: bool) -> Iterator[dict[str, Any]]:
    """A signed treatment-plan version as a CarePlan, one Goal per goal (its objectives'
    targets as Goal.target) and the signature's Provenance. Problems point at their
    Conditions only when diagnoses are disclosed too."""
    structure = version.structure()
    client_id = version.plan.client_id
    started = version.client_agreement_date.isoformat()
    goal_ids: list[str] = []
    addresses: list[dict[str, str]] = []
    activities: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    for problem in structure["problems"]:
        problem_refs = ([_ref("Condition", problem["diagnosis_id"])]
                        if diagnoses and problem["diagnosis_id"] else [])
        addresses += problem_refs
        for goal in problem["goals"]:
            objectives = goal["objectives"]
            lifecycle, achievement = _goal_status([o["status"] for o in objectives])
            targets = []
            for objective in objectives:
                target: dict[str, Any] = {
                    "measure": {"text": objective["text"] or "Objective"},
                    "detailString": objective["target"] or objective["text"] or "See measure",
                }
                if objective["target_date"]:
                    target["dueDate"] = objective["target_date"]
                targets.append(target)
            notes = [{"text": f"Objective: {o['text']}. Baseline: {o['baseline']}. "
                              f"Status: {o['status'].replace('_', ' ')}."}
                     for o in objectives if o["baseline"] or o["text"]]
            resource: dict[str, Any] = {
                "resourceType": "Goal",
                "id": goal["key"],
                "lifecycleStatus": lifecycle,
                "description": {"text": goal["text"] or "Treatment goal"},
                "subject": _ref("Patient", client_id),
                "startDate": started,
                "expressedBy": _ref("Practitioner", version.signed_by_id),
            }
            if achievement:
                resource["achievementStatus"] = {"coding": [{
                    "system": codes.GOAL_ACHIEVEMENT, "code": achievement}]}
            if targets:
                resource["target"] = targets
            if problem_refs:
                resource["addresses"] = problem_refs
            if notes:
                resource["note"] = notes
            goals.append(validated(resource))
            goal_ids.append(goal["key"])
        for intervention in problem["interventions"]:
            who = intervention["responsible"]
            words = ", ".join(w for w in (intervention["modality"], intervention["frequency"],
                                          f"by {who}" if who else "") if w)
            detail: dict[str, Any] = {"status": "in-progress",
                                      "description": words or "Intervention"}
            if intervention["responsible_user_id"]:
                detail["performer"] = [_ref("Practitioner",
                                            intervention["responsible_user_id"])]
            activities.append({"detail": detail})
    problems = [p["text"] for p in structure["problems"] if p["text"]]
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(version.pk),
        "identifier": [{"system": codes.CONTENT_HASH_SYSTEM, "value": version.content_hash}],
        "status": codes.CAREPLAN_STATUS[version.status],
        "intent": "plan",
        "title": f"Treatment plan, version {version.number}",
        "subject": _ref("Patient", client_id),
        "period": {"start": started},
        "created": _instant(version.signed_at),
        "author": _ref("Practitioner", version.signed_by_id),
        "note": [{"text": f"Agreed with the client on {started} "
                          f"({version.get_client_agreement_method_display().lower()}); "
                          f"review due {version.review_due.isoformat()}."}],
    }
    if problems:
        care_plan["description"] = "Problems: " + "; ".join(problems)
    if addresses:
        care_plan["addresses"] = list({a["reference"]: a for a in addresses}.values())
    if goal_ids:
        care_plan["goal"] = [_ref("Goal", key) for key in goal_ids]
    if activities:
        care_plan["activity"] = activities
    yield validated(care_plan)
    yield from goals
    who = _ref("Practitioner", version.signed_by_id)
    yield validated({
        "resourceType": "Provenance",
        "id": f"sign-{version.pk}",
        "extension": [{"url": codes.CONTENT_HASH_EXTENSION, "valueString": version.content_hash}],
        "target": [_ref("CarePlan", version.pk)],
        "recorded": _instant(version.signed_at),
        "reason": [{"text": f"Signature of treatment plan version {version.number}"}],
        "agent": [{"type": {"coding": [{"system": codes.PROVENANCE_PARTICIPANT,
                                        "code": "author", "display": "Author"}]},
                   "who": who}],
        "signature": [{"type": [{"system": codes.SIGNATURE_TYPE,
                                 "code": codes.AUTHORS_SIGNATURE,
                                 "display": "Author's Signature"}],
                       "when": _instant(version.signed_at), "who": who}],
    })


# ---- a client's record ------------------------------------------------------------------


def user_ids(client: Client, scope: frozenset[str], date_range: DateRange) -> set[int]:
    """Every user the client's resources point at: care team, authors, signers."""
    ids = set(client.care_team.values_list("user_id", flat=True))
    if "diagnoses" in scope:
        ids |= set(client.diagnoses.values_list("added_by_id", flat=True))
    for note in _signed_notes(client, date_range):
        ids |= {note.author_id, note.signed_by_id, note.session.clinician_id}
        for addendum in note.addenda.all():
            ids |= {addendum.author_id, addendum.signed_by_id}
    if "measures" in scope:
        ids |= {a.created_by_id for a in _administrations(client, date_range)
                if a.created_by_id}
    if "psychotherapy_notes" in scope:
        ids |= {n.author_id for n in _psychotherapy_notes(client, date_range)}
    if "plans" in scope:
        version = _plan_version(client, date_range)
        if version is not None:
            ids.add(version.signed_by_id)
            ids |= {i.responsible_user_id for i in version.interventions.all()
                    if i.responsible_user_id}
    return ids


def _signed_notes(client: Client, date_range: DateRange):  # type: ignore[no-untyped-def]
    notes = (ProgressNote.objects.signed().filter(client=client)
             .select_related("client", "session").prefetch_related("addenda")
             .order_by("session__date", "session__start_time", "signed_at", "id"))
    start, end = date_range
    if start:
        notes = notes.filter(session__date__gte=start)
    if end:
        notes = notes.filter(session__date__lte=end)
    return notes


def _administrations(client: Client, date_range: DateRange):  # type: ignore[no-untyped-def]
    rows = Administration.objects.filter(client=client).order_by("administered_at", "id")
    return [a for a in rows if _in_range(timezone.localdate(a.administered_at), date_range)] \
        if any(date_range) else rows


def _psychotherapy_notes(client: Client, date_range: DateRange) -> list[PsychotherapyNote]:
    notes = PsychotherapyNote.objects.filter(client=client).select_related(
        "author", "session").order_by("created_at", "id")
    return [n for n in notes
            if _in_range(n.session.date if n.session else timezone.localdate(n.created_at),
                         date_range)]


def client_resources(client: Client, scope: Iterable[str], date_range: DateRange = (None, None),
                     *, with_practitioners: bool = True) -> Iterator[dict[str, Any]]:
    """Every resource of the client's record in scope, validated, one at a time."""
    scope = check_scope(scope)
    yield patient(client, demographics="demographics" in scope)
    if with_practitioners:
        users = User.objects.filter(pk__in=user_ids(client, scope, date_range)).order_by("pk")
        for user in users:
            yield practitioner(user)
            yield practitioner_role(user)
    if "diagnoses" in scope:
        for diagnosis in client.diagnoses.order_by("pk"):
            yield condition(diagnosis)
    if "progress_notes" in scope:
        sessions = client.sessions.order_by("date", "start_time", "id")
        for session in sessions:
            if _in_range(session.date, date_range):
                yield encounter(session)
        for note in _signed_notes(client, date_range):
            addenda = sorted(note.addenda.all(), key=lambda a: (a.signed_at, str(a.pk)))
            for addendum in addenda:
                addendum.note = note  # its body opens under the note's client's key
            yield progress_note_document(note, addenda)
            yield signature_provenance(note)
            for addendum in addenda:
                yield signature_provenance(addendum)
    if "measures" in scope:
        for administration in _administrations(client, date_range):
            yield questionnaire_response(administration)
            yield observation(administration)
    if "psychotherapy_notes" in scope:
        for note in _psychotherapy_notes(client, date_range):
            yield psychotherapy_note_document(note)
    if "plans" in scope:
        version = _plan_version(client, date_range)
        if version is not None:
            yield from plan_resources(version, diagnoses="diagnoses" in scope)
    if "demographics" in scope:
        for authorization in _authorizations(client):
            yield consent(authorization)


def client_bundle(client: Client, scope: set[str],
                  date_range: DateRange = (None, None)) -> dict[str, Any]:
    """A `collection` Bundle of the client's record in scope (DOMAIN.md §6.3)."""
    entries = [{"resource": r} for r in client_resources(client, scope, date_range)]
    return validated({
        "resourceType": "Bundle",
        "id": f"client-{client.pk}",
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": entries,
    })


NDJSON_TYPE = "application/fhir+ndjson"


def client_ndjson(client: Client, scope: Iterable[str],
                  date_range: DateRange = (None, None)) -> dict[str, Any]:
    """The client's record as Bulk-Data-style NDJSON for the disclosure gate (DOMAIN.md
    §6.4): resource type → its resources, which the gate writes one type per file
    (`<Type>.ndjson`, one canonical-JSON resource per LF-ended line), and
    `bulk-manifest` → the Bulk Data manifest naming those files. The name avoids the
    package's own manifest.json, which signs them all."""
    files: dict[str, Any] = {}
    for resource in client_resources(client, scope, date_range):
        files.setdefault(resource["resourceType"], []).append(resource)
    files["bulk-manifest"] = {
        "transactionTime": _instant(timezone.now()),
        "request": f"Patient/{client.pk}/$export",
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": f"{kind}.ndjson", "count": len(files[kind])}
                   for kind in sorted(files) if kind != "bulk-manifest"],
        "error": [],
        "extension": {"psynote": {"outputFormat": NDJSON_TYPE}},
    }
    return files


def dumps(resource: dict[str, Any]) -> str:
    """One resource as one NDJSON line (compact, key order as the model emits it)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
