"""Plan versions: drafts, signing rules, superseding, and signed versions that never change
(the model refuses, and the database triggers refuse on SQLite and PostgreSQL alike)."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.clients import actions as client_actions
from psynote.lib import canonical_json
from psynote.plans import actions
from psynote.plans.models import (
    Goal,
    Objective,
    PlanIntervention,
    PlanVersion,
    Problem,
    SignedPlanLocked,
)


@contextmanager
def refused(*names: str):
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value).lower()
    assert any(name.lower() in message for name in names), message


def _objective_keys(version: PlanVersion) -> list[str]:
    return [
        o["key"]
        for p in version.structure()["problems"]
        for g in p["goals"]
        for o in g["objectives"]
    ]


def test_a_first_draft_is_empty_and_numbered_one(cast):
    version = actions.start_version(by=cast.alice, client=cast.client)
    assert version.number == 1 and version.status == "draft"
    assert version.structure()["problems"] == []


def test_a_complete_draft_signs_and_is_in_force(cast):
    version = t.make_plan(cast.client, cast.alice)
    assert version.status == "in_force"
    assert version.signer_name == "Alice Testperson, PhD"
    assert version.review_due == timezone.localdate() + timedelta(days=90)
    assert version.content_hash == version.compute_hash()


def test_signing_records_the_content_hash_in_the_audit_chain(cast):
    version = t.make_plan(cast.client, cast.alice)
    event = AuditEvent.objects.get(action="plan.sign", target_id=str(version.pk))
    assert canonical_json.loads(event.detail)["content_hash"] == version.content_hash


def test_texts_are_sealed_not_stored_in_clear(cast):
    version = t.make_plan(cast.client, cast.alice)
    raw = bytes(PlanVersion.objects.values_list("texts_ct", flat=True).get(pk=version.pk))
    assert b"Fictional worry" not in raw and b"GAD-7" not in raw
    assert "Fictional worry" in version.structure()["problems"][0]["text"]


def test_a_new_version_copies_the_plan_in_force_with_the_same_objective_keys(cast):
    first = t.make_plan(cast.client, cast.alice, objectives=2)
    second = actions.start_version(by=cast.alice, client=cast.client)
    assert second.number == 2 and second.status == "draft"
    assert _objective_keys(second) == _objective_keys(first)
    copied = second.structure()
    assert copied["problems"][0]["text"] == first.structure()["problems"][0]["text"]
    assert copied["client_agreement_date"] is None and copied["review_due"] is None


def test_signing_a_new_version_supersedes_the_old_one(cast):
    first = t.make_plan(cast.client, cast.alice)
    second = actions.start_version(by=cast.alice, client=cast.client)
    actions.save_structure(
        by=cast.alice,
        version=second,
        structure=second.structure()
        | t.plan_structure(cast.client)
        | {"problems": second.structure()["problems"]},
    )
    actions.sign_version(by=cast.alice, version=second)
    first = PlanVersion.objects.get(pk=first.pk)
    second = PlanVersion.objects.get(pk=second.pk)
    assert first.status == "superseded" and second.status == "in_force"
    # Superseding changed nothing in the old version's row.
    assert first.content_hash == first.compute_hash()


def test_only_one_draft_at_a_time(cast):
    actions.start_version(by=cast.alice, client=cast.client)
    with pytest.raises(ValidationError, match="already a draft"):
        actions.start_version(by=cast.alice, client=cast.client)


def test_database_refuses_a_second_draft(cast):
    draft = actions.start_version(by=cast.alice, client=cast.client)
    with refused("plan_one_draft", "unique constraint failed: plans_planversion.plan_id"):
        PlanVersion.objects.bulk_create(
            [PlanVersion(plan=draft.plan, number=2, created_by=cast.alice, texts_ct=b"x")]
        )


def test_a_draft_may_be_discarded(cast):
    t.make_plan(cast.client, cast.alice)
    draft = actions.start_version(by=cast.alice, client=cast.client)
    actions.discard_draft(by=cast.alice, version=draft)
    assert not PlanVersion.objects.filter(pk=draft.pk).exists()
    assert not Objective.objects.filter(version_id=draft.pk).exists()
    assert actions.start_version(by=cast.alice, client=cast.client).number == 2


# --- signing rules --------------------------------------------------------------------


def _draft_with(cast, **overrides):
    version = actions.start_version(by=cast.alice, client=cast.client)
    return actions.save_structure(
        by=cast.alice, version=version, structure=t.plan_structure(cast.client) | overrides
    )


def _sign_problems(cast, version) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        actions.sign_version(by=cast.alice, version=version)
    return caught.value.messages


def test_an_empty_plan_cannot_be_signed(cast):
    version = _draft_with(cast, problems=[])
    assert any("measurable objective" in m for m in _sign_problems(cast, version))


def test_signing_needs_the_clients_agreement_date_and_method(cast):
    version = _draft_with(cast, client_agreement_method="")
    assert any("client's agreement" in m for m in _sign_problems(cast, version))
    version = PlanVersion.objects.get(pk=version.pk)
    actions.save_structure(
        by=cast.alice,
        version=version,
        structure=t.plan_structure(cast.client) | {"client_agreement_date": None},
    )
    assert any("client's agreement" in m for m in _sign_problems(cast, version))


@pytest.mark.parametrize(
    "field, label", [("baseline", "baseline"), ("target", "target"), ("target_date", "target date")]
)
def test_an_objective_must_be_measurable(cast, field, label):
    structure = t.plan_structure(cast.client)
    structure["problems"][0]["goals"][0]["objectives"][0][field] = (
        "" if field != ("target_date") else None
    )
    version = _draft_with(cast, **structure)
    problems = _sign_problems(cast, version)
    assert any(f"add its {label}" in m for m in problems), problems


def test_a_problem_must_be_linked_to_a_diagnosis(cast):
    structure = t.plan_structure(cast.client)
    structure["problems"][0]["diagnosis_id"] = None
    version = _draft_with(cast, **structure)
    assert any("not linked to a diagnosis" in m for m in _sign_problems(cast, version))


def test_a_diagnosis_of_another_client_is_refused_and_nothing_changes(cast):
    other = cast.other_client.diagnoses.first()
    version = actions.start_version(by=cast.alice, client=cast.client)
    structure = t.plan_structure(cast.client)
    structure["problems"][0]["diagnosis_id"] = other.pk
    with pytest.raises(ValidationError, match="on this client's chart"):
        actions.save_structure(by=cast.alice, version=version, structure=structure)
    assert version.structure()["problems"] == []


def test_a_ruled_out_diagnosis_cannot_be_linked(cast):
    diagnosis = cast.client.diagnoses.first()
    client_actions.set_diagnosis_status(by=cast.alice, diagnosis=diagnosis, status="ruled_out")
    version = actions.start_version(by=cast.alice, client=cast.client)
    with pytest.raises(ValidationError, match="not ruled out"):
        actions.save_structure(
            by=cast.alice, version=version, structure=t.plan_structure(cast.client)
        )


def test_the_agreement_cannot_be_in_the_future(cast):
    version = actions.start_version(by=cast.alice, client=cast.client)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="future"):
        actions.save_structure(
            by=cast.alice,
            version=version,
            structure=t.plan_structure(cast.client) | {"client_agreement_date": tomorrow},
        )


def test_keys_must_be_unique_within_a_version(cast):
    version = actions.start_version(by=cast.alice, client=cast.client)
    structure = t.plan_structure(cast.client, objectives=2)
    key = "0f8e2d8a-1111-4222-8333-444455556666"
    for objective in structure["problems"][0]["goals"][0]["objectives"]:
        objective["key"] = key
    with pytest.raises(ValidationError, match="used twice"):
        actions.save_structure(by=cast.alice, version=version, structure=structure)


def test_a_front_desk_user_cannot_sign(cast):
    version = _draft_with(cast)
    with pytest.raises(ValidationError, match="clinician signs"):
        actions.sign_version(by=cast.fred, version=version)


def test_a_ruled_out_diagnosis_is_unlinked_in_the_next_version(cast):
    t.make_plan(cast.client, cast.alice)
    diagnosis = cast.client.diagnoses.first()
    client_actions.set_diagnosis_status(by=cast.alice, diagnosis=diagnosis, status="ruled_out")
    draft = actions.start_version(by=cast.alice, client=cast.client)
    assert draft.structure()["problems"][0]["diagnosis_id"] is None


# --- immutability ---------------------------------------------------------------------


def test_a_signed_version_refuses_save_and_delete(cast):
    version = PlanVersion.objects.get(pk=t.make_plan(cast.client, cast.alice).pk)
    version.review_due = timezone.localdate()
    with pytest.raises(SignedPlanLocked):
        version.save()
    with pytest.raises(SignedPlanLocked):
        version.delete()


def test_a_signed_version_refuses_new_structure(cast):
    version = t.make_plan(cast.client, cast.alice)
    with pytest.raises(ValidationError, match="signed and locked"):
        actions.save_structure(
            by=cast.alice, version=version, structure=t.plan_structure(cast.client)
        )
    with pytest.raises(ValidationError, match="signed and locked"):
        actions.sign_version(by=cast.alice, version=version)


def test_database_refuses_a_signature_without_its_fields(cast):
    draft = actions.start_version(by=cast.alice, client=cast.client)
    with refused("plan_signature_fields_together"):
        PlanVersion.objects.filter(pk=draft.pk).update(
            signed_at=timezone.now(), signer_name="Alice", content_hash="a" * 64
        )


def test_database_refuses_a_signature_without_the_agreement(cast):
    draft = actions.start_version(by=cast.alice, client=cast.client)
    with refused("plan_signed_with_agreement_and_review"):
        PlanVersion.objects.filter(pk=draft.pk).update(
            signed_at=timezone.now(),
            signed_by=cast.alice,
            signer_name="Alice",
            content_hash="a" * 64,
        )


def test_database_refuses_an_unknown_objective_status(cast):
    draft = _draft_with(cast)
    with refused("plan_objective_status_valid"):
        Objective.objects.filter(version=draft).update(status="forgotten")


def test_trigger_refuses_a_bulk_update_or_delete_of_a_signed_version(cast):
    version = t.make_plan(cast.client, cast.alice)
    with refused("a signed treatment plan version cannot change"):
        PlanVersion.objects.filter(pk=version.pk).update(review_due=timezone.localdate())
    with refused("a signed treatment plan version cannot change"):
        PlanVersion.objects.filter(pk=version.pk)._raw_delete(using="default")


@pytest.mark.parametrize("model", [Problem, Goal, Objective, PlanIntervention])
def test_trigger_refuses_changing_the_items_of_a_signed_version(cast, model):
    version = t.make_plan(cast.client, cast.alice)
    with refused("a signed treatment plan version cannot change"):
        model.objects.filter(version=version).update(position=7)
    with refused("a signed treatment plan version cannot change"):
        model.objects.filter(version=version)._raw_delete(using="default")


def test_trigger_refuses_adding_an_item_to_a_signed_version(cast):
    version = t.make_plan(cast.client, cast.alice)
    problem = Problem.objects.filter(version=version).first()
    with refused("a signed treatment plan version cannot change"):
        Goal.objects.bulk_create([Goal(version=version, problem=problem, position=9)])


def _raw(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _id(pk) -> object:
    # Django stores UUIDs as 32 hex characters on SQLite and as uuid on PostgreSQL.
    return pk.hex if connection.vendor == "sqlite" else pk


def test_raw_sql_cannot_change_a_signed_version_or_its_objectives(cast):
    version = t.make_plan(cast.client, cast.alice)
    with refused("a signed treatment plan version cannot change"):
        _raw(
            "UPDATE plans_planversion SET content_hash = %s WHERE id = %s",
            ["b" * 64, _id(version.pk)],
        )
    with refused("a signed treatment plan version cannot change"):
        _raw(
            "UPDATE plans_objective SET status = 'achieved' WHERE version_id = %s",
            [_id(version.pk)],
        )
    with refused("a signed treatment plan version cannot change"):
        _raw("DELETE FROM plans_objective WHERE version_id = %s", [_id(version.pk)])


def test_raw_sql_may_still_change_a_draft(cast):
    draft = _draft_with(cast)
    assert (
        _raw(
            "UPDATE plans_objective SET status = 'achieved' WHERE version_id = %s", [_id(draft.pk)]
        )
        == 1
    )
