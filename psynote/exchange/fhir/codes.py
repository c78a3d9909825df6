"""Code systems and codes used in Psynote's FHIR exports, each with where it comes from.

Clinical codes come from the shipped tables only: ICD-10-CM from
`psynote.clients.icd10.codes()`, LOINC for measures from the instrument files
(`psynote.measures.instruments/*.json`, docs/clinical-sources.md#loinc-codes-for-measures),
LOINC note types from docs/clinical-sources.md#loinc-note-types. A code that is not in its
table raises `CodeError`: an export never carries a code we cannot vouch for.
"""

from functools import cache

from psynote.clients import icd10
from psynote.measures import library


class CodeError(ValueError):
    """A code is not in the shipped table it claims to come from."""


LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"  # docs/clinical-sources.md#icd-10-cm
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
US_CORE_DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
# FHIR R4 signature-type code system (hl7.org/fhir/R4/codesystem-signature-type.html,
# "ASTM Signature Type Codes"): 1.2.840.10065.1.12.1.1 = Author's Signature.
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
AUTHORS_SIGNATURE = "1.2.840.10065.1.12.1.1"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

# Practice-local systems. No national identifier system exists for a state licence, and
# our own row ids and hashes are only meaningful with the practice that issued them.
LOCAL = "urn:psynote"


def local_system(practice_id: int, what: str) -> str:
    return f"{LOCAL}:practice:{practice_id}:{what}"


def licence_system(practice_id: int, state: str) -> str:
    slug = "".join(ch for ch in state.lower() if ch.isalnum()) or "unknown"
    return local_system(practice_id, f"licence:{slug}")


CONTENT_HASH_SYSTEM = f"{LOCAL}:signed-content-sha256"
CONTENT_HASH_EXTENSION = f"{LOCAL}:fhir:StructureDefinition:signed-content-sha256"
DOCUMENT_TYPE_LOCAL = f"{LOCAL}:document-type"

# docs/clinical-sources.md#loinc-note-types. Psynote's progress notes are the notes of a
# mental-health practice, so they carry the mental-health progress-note code 34904-3,
# which is both a C-CDA progress-note variant and the progress-note code of the US
# Behavioral Health Profiles' Mental Health Clinical Notes value set (11506-3 is its
# general parent in US Core).
PROGRESS_NOTE_TYPE = ("34904-3", "Mental health Progress note")
CLINICAL_NOTE_CATEGORY = ("clinical-note", "Clinical Note")

# Psychotherapy notes have no LOINC note type, so they get a local type that no
# receiver can mistake for a progress note, and the HL7 sensitivity label for them:
# PSYTHPN (psychotherapy note information sensitivity, v3-ActCode, in the HL7 value set
# v3-ActInformationSensitivityPolicy; used by the SHIFT security-labelling value sets).
PSYCHOTHERAPY_NOTE_TYPE = ("psychotherapy-note", "Psychotherapy note (45 CFR 164.501)")
PSYCHOTHERAPY_SECURITY = {"system": V3_ACT_CODE, "code": "PSYTHPN",
                          "display": "psychotherapy note information sensitivity"}

# Encounter.class (v3-ActCode): AMB ambulatory, VR virtual for telehealth
# (docs/clinical-sources.md#fhir-r4-mapping).
ENCOUNTER_CLASS = {
    "in_person": ("AMB", "ambulatory"),
    "video": ("VR", "virtual"),
    "audio": ("VR", "virtual"),
}
# FHIR R4 Encounter.status has no "no-show" (Appointment has): a session that did not
# take place is a cancelled encounter, its attendance named in the type text.
ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "attended": "finished",
    "no_show": "cancelled",
    "late_cancelled": "cancelled",
    "cancelled": "cancelled",
}
CONDITION_CLINICAL_STATUS = {"active": "active", "resolved": "resolved", "ruled_out": "inactive"}
CONDITION_VERIFICATION_STATUS = {"active": "confirmed", "resolved": "confirmed",
                                 "ruled_out": "refuted"}


def icd10_coding(code: str) -> dict[str, str]:
    """A coding for an ICD-10-CM code from the shipped table, or CodeError."""
    description = icd10.codes().get(code)
    if description is None:
        raise CodeError(f"{code!r} is not in the shipped ICD-10-CM table ({icd10.EDITION})")
    return {"system": ICD10CM, "code": code, "display": description}


@cache
def _loinc_codes() -> set[str]:
    known = {PROGRESS_NOTE_TYPE[0], CONSENT_CATEGORY[0]}
    for instrument in library.load_all().values():
        known.update(c for c in (instrument.loinc_panel, instrument.loinc_total) if c)
        for item in instrument.items:
            if item.loinc:
                known.add(item.loinc)
            known.update(o.loinc for o in item.options if o.loinc)
    return known


# Consent for an authorization (docs/clinical-sources.md#fhir-r4-mapping). Codes from
# the FHIR R4 value sets bound to Consent: category (example binding,
# hl7.org/fhir/R4/valueset-consent-category: LOINC 64292-6 Release of information
# consent), scope (required: consentscope patient-privacy), policyRule (extensible:
# consentpolicycodes hipaa-auth), provision action (example: consentaction disclose),
# actor role (extensible, security-role-type: v3-ParticipationType IRCP information
# recipient) and provision class (extensible: FHIR resource types).
CONSENT_CATEGORY = ("64292-6", "Release of information consent")
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_POLICY = "http://terminology.hl7.org/CodeSystem/consentpolicycodes"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
# Authorization.status() -> Consent.status (R4: draft|proposed|active|rejected|inactive|
# entered-in-error): an expired or revoked authorization no longer permits anything.
CONSENT_STATUS = {"active": "active", "expired": "inactive", "revoked": "inactive"}
PURPOSE_EXTENSION = f"{LOCAL}:fhir:StructureDefinition:disclosure-purpose"

# CarePlan / Goal for the treatment plan (docs/clinical-sources.md#fhir-r4-mapping). R4
# required bindings: CarePlan.status
# (draft|active|on-hold|revoked|completed|entered-in-error|unknown), CarePlan.intent
# (plan), Goal.lifecycleStatus, Goal.achievementStatus (goal-achievement, preferred
# binding).
CAREPLAN_STATUS = {"in_force": "active", "superseded": "revoked", "draft": "draft"}
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"


def loinc_coding(code: str, display: str | None = None) -> dict[str, str]:
    """A LOINC coding, checked against the codes the shipped tables carry."""
    if code not in _loinc_codes():
        raise CodeError(f"LOINC {code!r} is not in the instrument files or the note-type table")
    coding = {"system": LOINC, "code": code}
    if display:
        coding["display"] = display
    return coding
