"""FHIR R4 exports: every resource validates with fhir.resources.R4B, codes come from the
shipped tables, drafts and psychotherapy notes stay out unless the scope names them."""

import base64
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from psynote import testing as t
from psynote.clients import icd10
from psynote.clients.models import Diagnosis
from psynote.exchange.fhir import build, bulk, codes
from psynote.measures import actions as measure_actions
from psynote.measures import library
from psynote.notes import actions as note_actions
from psynote.visits.models import Session

MODELS = {
    "Patient": Patient, "Practitioner": Practitioner, "PractitionerRole": PractitionerRole,
    "Encounter": Encounter, "Condition": Condition, "Observation": Observation,
    "QuestionnaireResponse": QuestionnaireResponse, "DocumentReference": DocumentReference,
    "Provenance": Provenance, "Organization": Organization,
}
PSYCHOTHERAPY_MARKER = "Zanzibarquill"
DRAFT_MARKER = "Quorvendrafty"
ALL = set(build.SCOPES)


def make_record(cast):  # type: ignore[no-untyped-def]
    """Avery's chart: an in-person and a video session with signed notes (one with two
    addenda), a draft, PHQ-9, GAD-7 and PCL-5 scores, and a psychotherapy note."""
    alice, client = cast.alice, cast.client
    day = timezone.localdate() - timedelta(days=1)
    first = t.make_session(client, alice, day=day - timedelta(days=7))
    note_actions.sign_note(by=alice, note=t.make_note(first),
                           late_reason="Fictional late entry after a conference.")
    second = t.make_session(client, alice, day=day, modality=Session.Modality.VIDEO,
                            place=Session.Place.CLIENT_HOME)
    note = t.make_note(second, sign=True)
    note_actions.add_addendum(by=alice, note=note, body="Client called: fictional update.")
    note_actions.add_addendum(by=alice, note=note, body="Second fictional clarification.",
                              kind="clarification")
    draft_session = t.make_session(client, alice, day=day)
    t.make_note(draft_session, sections={"subjective": DRAFT_MARKER})
    measure_actions.administer(by=alice, client=client, instrument_key="phq9",
                               answers={str(n): 1 for n in range(1, 10)} | {"9": 0})
    measure_actions.administer(by=alice, client=client, instrument_key="gad7",
                               answers={str(n): 2 for n in range(1, 8)})
    measure_actions.administer(by=alice, client=client, instrument_key="pcl5",
                               answers={str(n): 1 for n in range(1, 21)})
    t.open_psychotherapy_notes(alice)
    note_actions.write_psychotherapy_note(by=alice, client=client, session=second,
                                          body=f"Process note {PSYCHOTHERAPY_MARKER}.")
    return note


def decoded_text(payload: object) -> str:
    """The JSON text plus every base64 attachment decoded: a word hidden in an
    attachment still shows."""
    text = json.dumps(payload, ensure_ascii=False)
    found = [text]

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "data" in value and "contentType" in value:
                found.append(base64.b64decode(value["data"]).decode())
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload)
    return "\n".join(found)


def directory_text(path: Path) -> str:
    parts = []
    for file in sorted(path.iterdir()):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                parts.append(decoded_text(json.loads(line)) if file.suffix == ".ndjson"
                             else line)
    return "\n".join(parts)


def resources(bundle: dict) -> list[dict]:
    """The bundle's resources, each `urn:uuid:` reference resolved back to the `Type/id`
    of the entry it names (a reference that resolves to no entry fails)."""
    names = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
             for e in bundle["entry"]}

    def resolve(value):  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            out = {k: resolve(v) for k, v in value.items()}
            if isinstance(value.get("reference"), str):
                out["reference"] = names[value["reference"]]
            return out
        return [resolve(v) for v in value] if isinstance(value, list) else value

    return [resolve(entry["resource"]) for entry in bundle["entry"]]


def test_every_resource_in_a_full_bundle_validates_with_fhir_r4b(cast) -> None:
    make_record(cast)
    bundle = build.client_bundle(cast.client, ALL)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = {r["resourceType"] for r in resources(bundle)}
    assert kinds == set(MODELS)
    for resource in resources(bundle):
        MODELS[resource["resourceType"]].model_validate(resource)


def test_codes_come_from_the_shipped_tables(cast) -> None:
    make_record(cast)
    found = resources(build.client_bundle(cast.client, ALL))
    for condition in (r for r in found if r["resourceType"] == "Condition"):
        coding = condition["code"]["coding"][0]
        assert coding["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
        assert icd10.codes()[coding["code"]] == coding["display"]
    totals = {r["code"]["coding"][0]["code"] for r in found if r["resourceType"] == "Observation"}
    assert totals == {"44261-6", "70274-6", "pcl5"}  # PCL-5 has no LOINC code
    assert {library.get("phq9").loinc_total, library.get("gad7").loinc_total} < totals
    phq9 = next(r for r in found if r["resourceType"] == "QuestionnaireResponse"
                and r["questionnaire"].endswith("44249-1"))
    answers = {i["linkId"]: i["answer"][0] for i in phq9["item"] if "answer" in i}
    assert answers["44250-9"]["valueCoding"]["code"] == "LA6569-3"  # item 1: several days
    assert answers["44260-8"]["valueCoding"]["code"] == "LA6568-5"  # item 9: not at all
    notes = [r for r in found if r["resourceType"] == "DocumentReference"
             and r["type"]["coding"][0]["system"] == codes.LOINC]
    assert {n["type"]["coding"][0]["code"] for n in notes} == {"34904-3"}
    assert all(n["category"][0]["coding"][0]["code"] == "clinical-note" for n in notes)


def test_a_code_missing_from_the_shipped_table_stops_the_export(cast) -> None:
    Diagnosis.objects.create(client=cast.client, code="X99.9", description="not a code",
                             added_by=cast.alice)
    with pytest.raises(codes.CodeError, match="X99.9"):
        build.client_bundle(cast.client, {"diagnoses"})


def test_signed_note_carries_hash_addenda_in_order_and_a_provenance_per_signature(cast) -> None:
    note = make_record(cast)
    found = resources(build.client_bundle(cast.client, {"progress_notes"}))
    document = next(r for r in found if r["id"] == str(note.pk)
                    and r["resourceType"] == "DocumentReference")
    assert document["identifier"][0]["value"] == note.content_hash
    assert document["docStatus"] == "amended"
    text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
    assert text.index("Client called") < text.index("Second fictional clarification")
    assert note.content_hash in text and "PhD" in text
    signatures = [r for r in found if r["resourceType"] == "Provenance"
                  and r["target"][0]["reference"] == f"DocumentReference/{note.pk}"]
    hashes = {p["extension"][0]["valueString"] for p in signatures}
    assert hashes == {note.content_hash, *(a.content_hash for a in note.addenda.all())}
    assert all(p["signature"][0]["who"] == {"reference": f"Practitioner/{cast.alice.pk}"}
               for p in signatures)


def test_encounters_are_virtual_for_telehealth_and_ambulatory_in_person(cast) -> None:
    make_record(cast)
    found = resources(build.client_bundle(cast.client, {"progress_notes"}))
    classes = sorted(r["class"]["code"] for r in found if r["resourceType"] == "Encounter")
    assert classes == ["AMB", "AMB", "VR"]
    assert all(r["status"] == "finished" for r in found if r["resourceType"] == "Encounter")


def test_practitioner_carries_credentials_and_licence_with_a_practice_local_system(cast
                                                                                   ) -> None:
    cast.alice.licence_number, cast.alice.licence_state = "PSY-0001", "NY"
    cast.alice.save()
    practitioner = build.practitioner(cast.alice)
    assert practitioner["identifier"][0] == {
        "system": f"urn:psynote:practice:{cast.practice.pk}:licence:ny", "value": "PSY-0001"}
    assert practitioner["qualification"][0]["code"]["text"] == "PhD"


def test_psychotherapy_notes_are_absent_from_every_format_unless_in_scope(cast, tmp_path
                                                                          ) -> None:
    make_record(cast)
    record_scope = build.RECORD_SCOPE
    assert PSYCHOTHERAPY_MARKER not in decoded_text(build.client_bundle(cast.client,
                                                                        record_scope))
    lines = bulk.client_ndjson(cast.client, record_scope)
    assert PSYCHOTHERAPY_MARKER not in decoded_text(
        [json.loads(line) for kind in lines for line in lines[kind]])
    bulk.practice_bulk(cast.practice, tmp_path)
    assert PSYCHOTHERAPY_MARKER not in directory_text(tmp_path)

    with_notes = build.client_bundle(cast.client, {"psychotherapy_notes"})
    assert PSYCHOTHERAPY_MARKER in decoded_text(with_notes)
    document = next(r for r in resources(with_notes) if r["resourceType"] == "DocumentReference")
    assert document["meta"]["security"][0]["code"] == "PSYTHPN"
    assert document["type"]["coding"][0]["code"] == "psychotherapy-note"


def test_drafts_are_never_exported(cast, tmp_path) -> None:
    make_record(cast)
    assert DRAFT_MARKER not in decoded_text(build.client_bundle(cast.client, ALL))
    lines = bulk.client_ndjson(cast.client, ALL)
    assert DRAFT_MARKER not in decoded_text(
        [json.loads(line) for kind in lines for line in lines[kind]])
    bulk.practice_bulk(cast.practice, tmp_path)
    assert DRAFT_MARKER not in directory_text(tmp_path)


def test_date_range_keeps_only_sessions_notes_and_scores_inside_it(cast) -> None:
    make_record(cast)
    yesterday = timezone.localdate() - timedelta(days=1)
    found = resources(build.client_bundle(cast.client, ALL, (yesterday, yesterday)))
    assert sum(r["resourceType"] == "Encounter" for r in found) == 2
    notes = [r for r in found if r["resourceType"] == "DocumentReference"
             and "security" not in r.get("meta", {})]
    assert len(notes) == 1
    assert not any(r["resourceType"] == "Observation" for r in found)  # scored today
    assert any(r["resourceType"] == "Condition" for r in found)  # the chart's diagnoses


def test_scope_limits_what_goes_out(cast) -> None:
    make_record(cast)
    found = resources(build.client_bundle(cast.client, {"measures"}))
    assert {r["resourceType"] for r in found} == {"Patient", "Practitioner", "PractitionerRole",
                                                  "Organization", "QuestionnaireResponse",
                                                  "Observation"}
    patient = found[0]
    assert "name" not in patient and "birthDate" not in patient
    with pytest.raises(ValueError, match="unknown scope"):
        build.client_bundle(cast.client, {"everything"})


def test_ndjson_has_one_resource_type_per_file(cast, tmp_path) -> None:
    make_record(cast)
    for kind, lines in bulk.client_ndjson(cast.client, ALL).items():
        assert {json.loads(line)["resourceType"] for line in lines} == {kind}
    t.make_session(cast.other_client, cast.bob, day=date(2026, 1, 5))
    manifest = bulk.practice_bulk(cast.practice, tmp_path)
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert manifest["transactionTime"]
    for output in manifest["output"]:
        lines = (tmp_path / output["url"]).read_text().splitlines()
        assert {json.loads(line)["resourceType"] for line in lines} == {output["type"]}
        assert len(lines) == output["count"]
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts["Patient"] == 3  # every client of the practice, streamed one by one
    assert counts["Practitioner"] == 7  # the whole cast, written once
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
