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


# CPT for Encounter.type (US Core Encounter; docs/clinical-sources.md#cpt-psychotherapy-codes).
# The system URI is the one HL7 registers for CPT (terminology.hl7.org CodeSystem-CPT).
CPT = "http://www.ama-assn.org/go/cpt"
# Encounter.participant.type (v3-ParticipationType, US Core extensible binding):
# PPRF primary performer.
PRIMARY_PERFORMER = {"system": PARTICIPATION_TYPE, "code": "PPRF",
                     "display": "primary performer"}
# PART participation: a couples or family session's other participant, named by role in
# the type's text only (ADR 0014).
PARTICIPANT = {"system": PARTICIPATION_TYPE, "code": "PART", "display": "Participation"}
# Organization.type (HL7 organization-type code system): prov Healthcare Provider.
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

# Provenance.agent roles (docs/clinical-sources.md#fhir-provenance). Each role is the
# provenance-participant-type code and the ASTM E1762 signature type its signature carries
# (FHIR R4 signature-type value set). A co-signer (supervision) is an attester whose
# signature is a verification signature; Psynote has no co-signature yet, so only the
# author role is used today.
AGENT_ROLES = {
    "author": (("author", "Author"), (AUTHORS_SIGNATURE, "Author's Signature")),
    "cosigner": (("attester", "Attester"),
                 ("1.2.840.10065.1.12.1.5", "Verification Signature")),
}
# US Core Provenance: the transmitter is the organization sending the record.
US_CORE_PROVENANCE_TYPE = \
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type"
TRANSMITTER = {"system": US_CORE_PROVENANCE_TYPE,
               "code": "transmitter", "display": "Transmitter"}

# Security labels for records of a 42 CFR part 2 program (HL7 FHIR DS4P security labels,
# hl7.org/fhir/uv/security-label-ds4p; docs/clinical-sources.md#part-2-security-labels):
# confidentiality R (restricted), the privacy-law policy 42CFRPart2 and the SUD
# sensitivity, all from the HL7 v3 code systems.
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PART2_SECURITY = (
    {"system": V3_CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": V3_ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {"system": V3_ACT_CODE, "code": "SUD",
     "display": "substance use disorder information sensitivity"},
)

# US Core screening and assessment (US Core 6.1 Observation Screening Assessment and
# QuestionnaireResponse): Observation.category survey plus the US Core category.
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
# CarePlan.category (US Core CarePlan, required slice): assess-plan.
CAREPLAN_CATEGORY = {"system": "http://hl7.org/fhir/us/core/CodeSystem/careplan-category",
                     "code": "assess-plan", "display": "Assessment and Plan of Treatment"}
# Instruments without a LOINC code (WHO-5, PCL-5): a Psynote-wide code system whose codes
# are the instrument keys and `<key>-percentage`/`<key>-raw` for scored parts.
INSTRUMENT_SYSTEM = f"{LOCAL}:instrument"
# Patient extensions (US Core 6.1 birth sex and gender identity; HL7 extensions pack
# individual-pronouns); see ADR 0006.
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
US_CORE_GENDER_IDENTITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity"
INDIVIDUAL_PRONOUNS = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"
# DocumentReference.content.format (US Core must-support; IHE format codes, the value set
# US Core binds): the MIME type says all a reader needs.
MIME_TYPE_SUFFICIENT = {"system": "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
                        "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                        "display": "mimeType Sufficient"}
