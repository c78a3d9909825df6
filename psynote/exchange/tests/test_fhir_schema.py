"""Independent validation of every FHIR export: each resource, bundle and NDJSON line
against the official HL7 FHIR R4 JSON Schema (schema/README.md), checked with `jsonschema`
rather than the `fhir.resources` models the exporter builds with; and the US Core
must-support elements this project promises on every resource type (ADR 0006)."""

import gzip
import hashlib
import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from django.db.models import Count
from django.utils import timezone

from psynote import testing as t
from psynote.clients.models import Client, Diagnosis
from psynote.exchange import actions
from psynote.exchange.fhir import build, bulk, codes
from psynote.exchange.tests.conftest import authorize
from psynote.exchange.tests.test_fhir_export import ALL, make_record
from psynote.measures import actions as measure_actions

SCHEMA = Path(__file__).parent / "schema" / "fhir.schema.json.gz"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"


@cache
def schema() -> dict:
    raw = gzip.decompress(SCHEMA.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the vendored schema"
    return json.loads(raw)


@cache
def validator(kind: str | None = None) -> jsonschema.protocols.Validator:
    """The whole schema (its root `oneOf` picks the resource type), or, to say what is
    wrong, the definition of one type."""
    root = schema()
    if kind is not None:
        root = {"$ref": f"#/definitions/{kind}", "definitions": root["definitions"]}
    return jsonschema.Draft6Validator(root)


def schema_errors(resource: dict) -> list[str]:
    """What the schema finds wrong. A resource is checked against its type's definition,
    which is what the root's `oneOf` (one branch per resource type, told apart by the
    `resourceType` constant) amounts to, without trying ~150 branches; a Bundle's entry
    resources are checked the same way, one by one."""
    kind = resource.get("resourceType")
    if kind not in schema()["definitions"] or kind == "ResourceList":
        return [] if validator().is_valid(resource) else [f"{kind}: not a FHIR R4 resource"]
    errors = []
    if kind == "Bundle":
        for n, entry in enumerate(resource.get("entry", [])):
            if "resource" in entry:
                errors += [f"entry {n}: {e}" for e in schema_errors(entry["resource"])]
        resource = {**resource, "entry": [{k: v for k, v in entry.items() if k != "resource"}
                                          for entry in resource.get("entry", [])]}
    return errors + [f"{kind}/{resource.get('id')}: {'/'.join(map(str, e.path))}: "
                     f"{e.message[:200]}" for e in validator(kind).iter_errors(resource)]


def full_record(cast, *, part2: bool = False):  # type: ignore[no-untyped-def]
    """Every kind of resource Psynote exports: make_record's notes and measures plus a
    diagnosis, AUDIT-C and WHO-5, a signed plan, an authorization, identity fields."""
    client = cast.client
    Client.objects.filter(pk=client.pk).update(
        gender_identity="Fictional identity", pronouns="they/them", sex_assigned_at_birth="")
    client.refresh_from_db()
    Diagnosis.objects.create(client=client, code="F41.1", description="Generalized anxiety "
                             "disorder", added_by=cast.alice, onset_date=date(2024, 5, 1))
    make_record(cast)
    measure_actions.administer(by=cast.alice, client=client, instrument_key="auditc",
                               answers={"1": 2, "2": 1, "3": 1})
    measure_actions.administer(by=cast.alice, client=client, instrument_key="who5",
                               answers={str(n): 3 for n in range(1, 6)})
    t.make_plan(client, cast.alice)
    authorize(cast.alice, client, {"demographics", "progress_notes"})
    if part2:
        actions.set_part2(by=cast.alice, client=client, part2=True)
    return client


def test_the_vendored_schema_is_the_official_r4_schema():
    assert schema()["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert schema()["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert "Provenance" in schema()["discriminator"]["mapping"]
    good = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}
    assert schema_errors(good) == []
    # It rejects what R4 rejects: a status outside its value set, an element R4 does not
    # have, a missing required class, an unknown resource type.
    assert schema_errors(good | {"status": "done"})
    assert schema_errors(good | {"cptCode": "90834"})
    assert schema_errors({"resourceType": "Encounter", "status": "finished"})
    assert schema_errors({"resourceType": "Therapy", "id": "1"})


def test_every_exported_resource_and_bundle_validates_against_the_r4_json_schema(cast, tmp_path):
    client = full_record(cast, part2=True)
    bundle = build.client_bundle(client, ALL)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {"Patient", "Organization", "Practitioner", "PractitionerRole", "Encounter",
                     "Condition", "DocumentReference", "Provenance", "QuestionnaireResponse",
                     "Observation", "CarePlan", "Goal", "Consent"}
    assert schema_errors(bundle) == []
    for entry in bundle["entry"]:
        assert schema_errors(entry["resource"]) == []
    for kind, lines in bulk.client_ndjson(client, build.RECORD_SCOPE).items():
        for line in lines:
            assert schema_errors(json.loads(line)) == [], kind
    bulk.practice_bulk(cast.practice, tmp_path)
    for path in tmp_path.glob("*.ndjson"):
        if path.name == "psynote-record.ndjson":
            continue  # the side file is Psynote's own, not FHIR
        for line in path.read_text().splitlines():
            assert schema_errors(json.loads(line)) == [], path.name


def test_every_bundle_entry_has_a_urn_uuid_full_url_and_every_reference_resolves(cast):
    client = full_record(cast)
    bundle = build.client_bundle(client, ALL)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert all(u.startswith("urn:uuid:") and len(u) == 45 for u in urls)
    assert len(set(urls)) == len(urls)
    found = []

    def walk(value):  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                found.append(value["reference"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk([e["resource"] for e in bundle["entry"]])
    assert found and set(found) <= set(urls)
    # The same record exported twice keeps its fullUrls.
    assert [e["fullUrl"] for e in build.client_bundle(client, ALL)["entry"]] == urls


# ---- US Core must-support, per resource type ---------------------------------------------


def by_type(client, scope=ALL):  # type: ignore[no-untyped-def]
    found: dict[str, list[dict]] = {}
    for resource in build.client_resources(client, scope):
        found.setdefault(resource["resourceType"], []).append(resource)
    return found


def has(resource: dict, *paths: str) -> None:
    for path in paths:
        value = resource
        for part in path.split("."):
            value = value[0] if isinstance(value, list) else value
            assert isinstance(value, dict) and part in value, \
                f"{resource['resourceType']}/{resource['id']} lacks {path}"
            value = value[part]
        assert value not in (None, "", [], {}), f"{resource['resourceType']} empty {path}"


def test_us_core_must_support_elements_on_every_resource_type(cast):
    client = full_record(cast)
    found = by_type(client)
    organization = found["Organization"][0]
    has(organization, "identifier.system", "identifier.value", "active", "name")
    org = f"Organization/{cast.practice.pk}"
    for patient in found["Patient"]:
        has(patient, "identifier", "name.family", "name.given", "birthDate", "gender",
            "extension", "managingOrganization")
        assert patient["gender"] == "unknown"  # blank sex at birth: said, not dropped
        assert patient["managingOrganization"] == {"reference": org}
        urls = {e["url"]: e for e in patient["extension"]}
        assert urls[codes.US_CORE_BIRTHSEX]["valueCode"] == "UNK"
        assert urls[codes.US_CORE_GENDER_IDENTITY]["valueCodeableConcept"]["text"] == \
            "Fictional identity"
        assert urls[codes.INDIVIDUAL_PRONOUNS]["extension"][0]["valueCodeableConcept"] == \
            {"text": "they/them"}
    for practitioner in found["Practitioner"]:
        has(practitioner, "name.family")
    for role in found["PractitionerRole"]:
        has(role, "practitioner", "organization", "code")
    for encounter in found["Encounter"]:
        has(encounter, "identifier", "status", "class.code", "type", "subject",
            "participant.type", "participant.individual", "participant.period", "period",
            "serviceProvider")
        assert encounter["serviceProvider"] == {"reference": org}
        assert encounter["participant"][0]["individual"] == \
            {"reference": f"Practitioner/{cast.alice.pk}"}
    attended = [e for e in found["Encounter"] if e["status"] == "finished"]
    cpt = [c for e in attended for c in e["type"][0].get("coding", [])]
    assert {c["system"] for c in cpt} == {codes.CPT} and {c["code"] for c in cpt} == {"90834"}
    assert {e["class"]["code"] for e in attended} == {"AMB", "VR"}
    for condition in found["Condition"]:
        has(condition, "clinicalStatus", "verificationStatus", "category", "code.coding",
            "subject", "recordedDate")
    assert "2024-05-01" in {c.get("onsetDateTime") for c in found["Condition"]}
    for document in found["DocumentReference"]:
        has(document, "identifier", "status", "type.coding", "category", "subject", "date",
            "author", "custodian", "content.attachment.contentType", "content.format",
            "context.encounter", "context.period")
        assert document["custodian"] == {"reference": org}
    notes = {d["id"] for d in found["DocumentReference"]}
    for provenance in found["Provenance"]:
        has(provenance, "target", "recorded", "agent.type", "agent.who", "agent.onBehalfOf",
            "signature.when", "extension")
        author = provenance["agent"][0]
        assert author["type"]["coding"][0]["code"] == "author"
        assert author["onBehalfOf"] == {"reference": org}
        assert provenance["agent"][-1]["who"] == {"reference": org}  # the transmitter
    signed = [p for p in found["Provenance"]
              if p["target"][0]["reference"].removeprefix("DocumentReference/") in notes]
    assert len(signed) == 4  # two notes and two addenda
    for response in found["QuestionnaireResponse"]:
        has(response, "questionnaire", "status", "subject", "authored", "author", "item.linkId")
    for observation in found["Observation"]:
        has(observation, "status", "category", "code.coding", "subject", "effectiveDateTime",
            "derivedFrom", "performer")
        assert observation["derivedFrom"] == [
            {"reference": f"QuestionnaireResponse/{observation['id']}"}]
    care_plan = found["CarePlan"][0]
    has(care_plan, "text.status", "text.div", "status", "intent", "category", "subject",
        "goal")
    assert care_plan["category"][0]["coding"][0]["code"] == "assess-plan"
    assert "Worry less and return to work." in care_plan["text"]["div"]
    assert {g["reference"] for g in care_plan["goal"]} == \
        {f"Goal/{g['id']}" for g in found["Goal"]}
    for goal in found["Goal"]:
        has(goal, "lifecycleStatus", "description", "subject", "target.dueDate")
    for consent in found["Consent"]:
        has(consent, "status", "scope", "category", "patient", "organization", "provision")
        assert consent["organization"] == [{"reference": org}]


def test_measures_are_matchable_to_their_loinc_forms(cast):
    client = full_record(cast)
    found = by_type(client, {"measures"})
    responses = {r["questionnaire"]: r for r in found["QuestionnaireResponse"]}
    phq9 = responses["http://loinc.org/q/44249-1"]
    assert [i["linkId"] for i in phq9["item"]] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
        "44253-3", "44260-8", "69722-7"]
    gad7 = responses["http://loinc.org/q/69737-5"]
    assert [i["linkId"] for i in gad7["item"]][:7] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
    auditc = responses["http://loinc.org/q/72109-2"]
    assert [i["linkId"] for i in auditc["item"]] == ["68518-0", "68519-8", "68520-6"]
    # No linkId is a bare item number a receiver cannot match.
    assert not any(i["linkId"].isdigit() for r in found["QuestionnaireResponse"]
                   for i in r["item"])
    totals = {o["code"]["coding"][0]["code"]: o for o in found["Observation"]}
    assert totals["75626-2"]["valueInteger"] == 4  # AUDIT-C total, LOINC-coded
    assert totals["75626-2"]["code"]["coding"][0]["system"] == codes.LOINC
    who5 = totals["who5-percentage"]
    assert who5["code"]["coding"][0]["system"] == codes.INSTRUMENT_SYSTEM
    assert who5["valueQuantity"] == {"value": 60, "unit": "%", "system":
                                     "http://unitsofmeasure.org", "code": "%"}
    assert who5["component"][0]["valueInteger"] == 15
    assert who5["component"][0]["code"]["coding"][0]["code"] == "who5-raw"


def test_a_part2_record_is_labelled_restricted_under_42_cfr_part_2(cast):
    client = full_record(cast)
    unlabelled = [r for rs in by_type(client).values() for r in rs]
    assert not any("42CFRPart2" in json.dumps(r.get("meta", {})) for r in unlabelled)
    actions.set_part2(by=cast.alice, client=client, part2=True)
    for kind, resources in by_type(client).items():
        for resource in resources:
            labels = {(s["system"], s["code"])
                      for s in resource.get("meta", {}).get("security", [])}
            expected = {("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R"),
                        (codes.V3_ACT_CODE, "42CFRPart2"), (codes.V3_ACT_CODE, "SUD")}
            if kind in ("Organization", "Practitioner", "PractitionerRole"):
                assert not labels, kind
            else:
                assert expected <= labels, kind


@pytest.mark.parametrize("end", ["00:30", "01:15"])
def test_a_session_past_midnight_ends_the_next_day(cast, end):
    from datetime import datetime, time

    from psynote.exchange.fhir.encounter import session_period
    from psynote.visits.models import Session

    day = timezone.localdate() - timedelta(days=3)
    session = Session(client=cast.client, clinician=cast.alice, date=day,
                      start_time=time(23, 30), end_time=time.fromisoformat(end))
    period = session_period(session)
    start, stop = (datetime.fromisoformat(period[k]) for k in ("start", "end"))
    assert timedelta(0) < stop - start < timedelta(hours=2)


def test_the_demo_exports_organization_provenance_cpt_encounters_and_loinc_items(db):
    from psynote import demo

    demo.load()
    # The clients with the most signed notes: enough of every kind, in reasonable time.
    clients = (Client.objects.filter(practice__name=demo.PRACTICE_NAME)
               .annotate(notes=Count("progress_notes")).order_by("-notes", "pk")[:2])
    seen: dict[str, int] = {}
    for client in clients:
        bundle = build.client_bundle(client, build.RECORD_SCOPE)
        assert schema_errors(bundle) == [], client.pk
        for entry in bundle["entry"]:
            resource = entry["resource"]
            kind = resource["resourceType"]
            if kind == "Organization":
                assert resource["name"] == demo.PRACTICE_NAME
            elif kind == "Provenance":
                assert resource["agent"][0]["onBehalfOf"]["reference"].startswith("urn:uuid:")
            elif kind == "Encounter" and resource["status"] == "finished":
                if not any(c["system"] == codes.CPT for t in resource["type"]
                           for c in t.get("coding", [])):
                    continue
            elif kind == "QuestionnaireResponse":
                if not resource["questionnaire"].startswith("http://loinc.org/q/"):
                    continue
                assert all(not i["linkId"].isdigit() for i in resource["item"])
            seen[kind] = seen.get(kind, 0) + 1
    assert {"Organization", "Provenance", "Encounter", "QuestionnaireResponse"} <= set(seen)
