"""Notes as DocumentReferences (US Core clinical notes) and each signature as a Provenance.

Progress notes are LOINC 34904-3 Mental health Progress note (see codes.py), signed ones
only (drafts are never exported); the note is a text/plain attachment (addenda appended in
signing order) plus an application/json attachment with the exact signed content, so that a
receiving Psynote can re-verify the content hash; the content hash is an identifier of the
DocumentReference and an extension of the signature's Provenance.

Psychotherapy notes (45 CFR 164.501) are a distinct document type carrying the PSYTHPN
security label: they go out only under an authorization that names them
(45 CFR 164.508(a)(2)).
"""

from typing import Any

from psynote.exchange.fhir import codes, provenance
from psynote.exchange.fhir.datatypes import attachment, instant, ref
from psynote.exchange.fhir.encounter import session_period
from psynote.exchange.fhir.organization import organization_ref
from psynote.exchange.fhir.render import note_text
from psynote.exchange.fhir.validation import validated
from psynote.lib import canonical_json
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote

SOURCE_FORMAT = "psynote-progress-note/1"
SOURCE_CONTENT_TYPE = "application/json"


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
        "subject": ref("Patient", note.client_id),
        "date": instant(note.signed_at),
        "author": [ref("Practitioner", pk) for pk in dict.fromkeys(authors)],
        "authenticator": ref("Practitioner", note.signed_by_id),
        "custodian": organization_ref(note.client.practice_id),
        "description": f"Progress note, session of {session.date.isoformat()}"
                       + (" (late entry)" if note.late_entry else ""),
        "content": [
            {"attachment": attachment(text, "text/plain; charset=utf-8",
                                      "Progress note (plain text)", note.signed_at),
             "format": codes.MIME_TYPE_SUFFICIENT},
            {"attachment": attachment(source, SOURCE_CONTENT_TYPE,
                                      "Signed content (canonical JSON)", note.signed_at),
             "format": codes.MIME_TYPE_SUFFICIENT},
        ],
        "context": {"encounter": [ref("Encounter", note.session_id)],
                    "period": session_period(session)},
    }
    return validated(resource)


def signature_provenance(record: ProgressNote | Addendum) -> dict[str, Any]:
    """Who signed what, when, and the SHA-256 the signature vouches for."""
    note = record if isinstance(record, ProgressNote) else record.note
    what = "progress note" if isinstance(record, ProgressNote) else "addendum"
    agents = [("author", record.signed_by_id)]
    # A supervisor's approval or co-signature (psynote.supervision) attests the note.
    cosigned = getattr(record, "cosignature", None) if what == "progress note" else None
    if cosigned is not None:
        agents.append(("cosigner", cosigned.signed_by_id))
    return provenance.signature_provenance(
        id=f"sign-{record.pk}", target=ref("DocumentReference", note.pk),
        signed_at=record.signed_at, content_hash=record.content_hash,
        reason=f"Signature of the {what} {record.pk}", practice_id=note.client.practice_id,
        agents=agents, cosigned_at=cosigned.signed_at if cosigned is not None else None)


def psychotherapy_note_document(note: PsychotherapyNote, *, with_encounter: bool
                                ) -> dict[str, Any]:
    """`with_encounter`: whether the export carries the session's Encounter, so that the
    note may point at it (a reference must resolve inside the bundle)."""
    code, display = codes.PSYCHOTHERAPY_NOTE_TYPE
    body = note.body().encode()
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(note.pk),
        "meta": {"security": [codes.PSYCHOTHERAPY_SECURITY]},
        "identifier": [{"system": codes.local_system(note.client.practice_id,
                                                     "psychotherapy-note"),
                        "value": str(note.pk)}],
        "status": "current",
        "type": {"coding": [{"system": codes.DOCUMENT_TYPE_LOCAL, "code": code,
                             "display": display}], "text": display},
        "category": [{"coding": [{"system": codes.US_CORE_DOC_CATEGORY,
                                  "code": codes.CLINICAL_NOTE_CATEGORY[0]}]}],
        "subject": ref("Patient", note.client_id),
        "date": instant(note.updated_at),
        "author": [ref("Practitioner", note.author_id)],
        "custodian": organization_ref(note.client.practice_id),
        "description": "Psychotherapy note: released only under an authorization that "
                       "names psychotherapy notes (45 CFR 164.508(a)(2))",
        "content": [{"attachment": attachment(body, "text/plain; charset=utf-8",
                                              "Psychotherapy note", note.updated_at),
                     "format": codes.MIME_TYPE_SUFFICIENT}],
    }
    if note.session_id and with_encounter:
        resource["context"] = {"encounter": [ref("Encounter", note.session_id)],
                               "period": session_period(note.session)}
    return validated(resource)

