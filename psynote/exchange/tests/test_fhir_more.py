"""FHIR NDJSON through the disclosure gate, Consent for authorizations, CarePlan and Goal
for the treatment plan in force: each resource validates with fhir.resources.R4B."""

import io
import json
import zipfile
from datetime import timedelta

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from psynote import testing as t
from psynote.exchange import actions, gate
from psynote.exchange.fhir import build, codes
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.conftest import NOTE_MARKER, PN_MARKER, authorize
from psynote.plans import actions as plan_actions

ALL_TIME = (None, None)
RECORD = {"demographics", "diagnoses", "progress_notes", "plans", "measures"}


def resources(client, scope, date_range=ALL_TIME):  # type: ignore[no-untyped-def]
    return list(build.client_resources(client, scope, date_range))


def of_type(found, kind):  # type: ignore[no-untyped-def]
    return [r for r in found if r["resourceType"] == kind]


def revalidates(resource) -> bool:  # type: ignore[no-untyped-def]
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource


def export_ndjson(record, scope):  # type: ignore[no-untyped-def]
    authorization = authorize(record.alice, record.client, scope)
    grant = gate.authorise(record.alice, record.client, scope, ALL_TIME, "Care", authorization)
    package = gate.export_client(record.alice, record.client, grant, Disclosure.Format.FHIR_NDJSON)
    return package, zipfile.ZipFile(io.BytesIO(package.data))


# ---- NDJSON through the gate ------------------------------------------------------------


def test_ndjson_format_is_available_through_the_gate():
    assert Disclosure.Format.FHIR_NDJSON in gate.available_formats()


def test_ndjson_package_has_one_file_per_resource_type_with_lf_lines(record):
    t.make_plan(record.client, record.alice)
    package, archive = export_ndjson(record, RECORD)
    names = set(archive.namelist())
    assert {"manifest.json", "manifest.sig", "bulk-manifest.json"} <= names
    ndjson = sorted(n for n in names if n.endswith(".ndjson"))
    assert {
        "Patient.ndjson",
        "DocumentReference.ndjson",
        "Consent.ndjson",
        "CarePlan.ndjson",
        "Goal.ndjson",
    } <= set(ndjson)
    for name in ndjson:
        body = archive.read(name)
        assert b"\r" not in body and body.endswith(b"\n")
        kind = name.removesuffix(".ndjson")
        for line in body.decode().splitlines():
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            assert revalidates(resource)


def test_ndjson_bulk_manifest_lists_each_file_and_count(record):
    _, archive = export_ndjson(record, {"demographics", "progress_notes"})
    bulk_manifest = json.loads(archive.read("bulk-manifest.json"))
    assert bulk_manifest["requiresAccessToken"] is False and bulk_manifest["error"] == []
    for entry in bulk_manifest["output"]:
        lines = archive.read(entry["url"]).decode().splitlines()
        assert len(lines) == entry["count"] and entry["url"] == f"{entry['type']}.ndjson"
    signed = {f["path"] for f in json.loads(archive.read("manifest.json"))["files"]}
    assert "bulk-manifest.json" in signed and "Patient.ndjson" in signed


def test_ndjson_package_carries_the_note_but_never_the_psychotherapy_note(record):
    _, archive = export_ndjson(record, {"demographics", "progress_notes"})
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
    import base64

    decoded = "".join(
        base64.b64decode(c["attachment"]["data"]).decode()
        for line in archive.read("DocumentReference.ndjson").decode().splitlines()
        for c in json.loads(line)["content"]
    )
    assert NOTE_MARKER in decoded
    assert PN_MARKER not in everything and PN_MARKER not in decoded


# ---- Consent ----------------------------------------------------------------------------


def test_authorization_becomes_a_valid_consent_when_demographics_are_in_scope(record):
    authorization = authorize(
        record.alice,
        record.client,
        {"progress_notes", "diagnoses"},
        date_from=timezone.localdate() - timedelta(days=400),
    )
    consents = of_type(resources(record.client, {"demographics"}), "Consent")
    assert [c["id"] for c in consents] == [str(authorization.pk)]
    consent = consents[0]
    assert revalidates(consent)
    assert consent["status"] == "active"
    assert consent["category"][0]["coding"][0]["code"] == codes.CONSENT_CATEGORY[0]
    assert consent["policyRule"]["coding"][0]["code"] == "hipaa-auth"
    provision = consent["provision"]
    assert provision["type"] == "permit"
    assert provision["period"]["end"] == authorization.expires_on.isoformat()
    assert provision["actor"][0]["reference"]["display"] == authorization.recipient_display
    assert {c["code"] for c in provision["class"]} == {
        "Condition",
        "Encounter",
        "DocumentReference",
    }
    assert provision["dataPeriod"]["start"] == authorization.date_from.isoformat()
    assert consent["extension"][0]["valueString"] == authorization.purpose


def test_no_consent_without_demographics_in_scope(record):
    authorize(record.alice, record.client, {"progress_notes"})
    assert not of_type(resources(record.client, {"progress_notes", "diagnoses"}), "Consent")


def test_revoked_authorization_is_an_inactive_consent_ending_on_revocation(record):
    authorization = authorize(record.alice, record.client, {"progress_notes"})
    actions.revoke_authorization(
        by=record.alice, authorization=authorization, reason="Client withdrew it (fictional)."
    )
    consent = of_type(resources(record.client, {"demographics"}), "Consent")[0]
    assert consent["status"] == "inactive"
    assert consent["provision"]["period"]["end"] == timezone.localdate().isoformat()


def test_authorization_for_psychotherapy_notes_never_becomes_a_consent(record):
    authorize(record.alice, record.client, {"psychotherapy_notes"})
    assert not of_type(resources(record.client, RECORD), "Consent")


def test_consent_category_code_is_in_the_shipped_table():
    assert codes.loinc_coding(*codes.CONSENT_CATEGORY)["code"] == "64292-6"


# ---- CarePlan and Goal ------------------------------------------------------------------


def test_plan_in_force_becomes_a_careplan_with_goals_and_targets(record):
    version = t.make_plan(record.client, record.alice, objectives=2)
    found = resources(record.client, {"plans", "diagnoses"})
    care_plan = of_type(found, "CarePlan")[0]
    goals = of_type(found, "Goal")
    assert all(revalidates(r) for r in [care_plan, *goals])
    assert care_plan["id"] == str(version.pk) and care_plan["status"] == "active"
    assert care_plan["intent"] == "plan"
    assert care_plan["identifier"][0]["value"] == version.content_hash
    assert [g["reference"] for g in care_plan["goal"]] == [f"Goal/{g['id']}" for g in goals]
    goal = goals[0]
    assert goal["lifecycleStatus"] == "active"
    assert goal["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert [target["detailString"] for target in goal["target"]] == ["GAD-7 below 10"] * 2
    assert all("dueDate" in target for target in goal["target"])
    diagnosis = record.client.diagnoses.order_by("pk").first()
    if diagnosis is not None:
        assert goal["addresses"] == [{"reference": f"Condition/{diagnosis.pk}"}]
    provenance = [p for p in of_type(found, "Provenance") if p["id"] == f"sign-{version.pk}"]
    assert provenance and provenance[0]["target"] == [{"reference": f"CarePlan/{version.pk}"}]


def test_careplan_does_not_point_at_conditions_unless_diagnoses_are_disclosed(record):
    t.make_plan(record.client, record.alice)
    found = resources(record.client, {"plans"})
    assert "addresses" not in of_type(found, "CarePlan")[0]
    assert all("addresses" not in goal for goal in of_type(found, "Goal"))
    assert not of_type(found, "Condition")


def test_only_the_version_in_force_is_exported(record):
    t.make_plan(record.client, record.alice)
    draft = plan_actions.start_version(by=record.alice, client=record.client)
    structure = t.plan_structure(record.client)
    structure["problems"][0]["goals"][0]["objectives"][0]["status"] = "achieved"
    draft = plan_actions.save_structure(by=record.alice, version=draft, structure=structure)
    newer = plan_actions.sign_version(by=record.alice, version=draft)
    found = resources(record.client, {"plans"})
    assert [c["id"] for c in of_type(found, "CarePlan")] == [str(newer.pk)]
    goal = of_type(found, "Goal")[0]
    assert goal["lifecycleStatus"] == "completed"
    assert goal["achievementStatus"]["coding"][0]["code"] == "achieved"


def test_draft_plan_is_never_exported(record):
    t.make_plan(record.client, record.alice, sign=False)
    found = resources(record.client, {"plans"})
    assert not of_type(found, "CarePlan") and not of_type(found, "Goal")


def test_bundle_with_plan_and_consent_validates(record):
    t.make_plan(record.client, record.alice)
    authorize(record.alice, record.client, {"plans", "measures"})
    bundle = build.client_bundle(record.client, RECORD)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"CarePlan", "Goal", "Consent"} <= kinds
    assert revalidates(bundle)
