"""Treatment plans through the API: versions, the draft's structure, signing, objectives,
and the errors (400 with the reasons, 404, 409 for a signed version)."""

import pytest
from django.test import Client as HttpClient

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.plans.models import PlanVersion


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _json(api: HttpClient, method: str, url: str, body: object = None):
    return getattr(api, method)(url, body, content_type="application/json")


def test_full_flow_draft_structure_sign_and_objectives(cast):
    api = _api(cast.alice)
    base = f"/api/v1/clients/{cast.client.pk}"
    assert api.get(f"{base}/plans").json() == []
    started = _json(api, "post", f"{base}/plans/draft")
    assert started.status_code == 201, started.content
    version_id = started.json()["id"]
    assert started.json()["status"] == "draft" and started.json()["number"] == 1

    unsigned = _json(api, "post", f"/api/v1/plans/versions/{version_id}/sign")
    assert unsigned.status_code == 400
    assert any("measurable objective" in e for e in unsigned.json()["errors"])

    put = _json(api, "put", f"/api/v1/plans/versions/{version_id}", t.plan_structure(cast.client))
    assert put.status_code == 200, put.content
    objective = put.json()["structure"]["problems"][0]["goals"][0]["objectives"][0]
    assert objective["baseline"] == "GAD-7 of 15" and objective["key"]

    signed = _json(api, "post", f"/api/v1/plans/versions/{version_id}/sign")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "in_force" and len(signed.json()["content_hash"]) == 64

    objectives = api.get(f"{base}/objectives").json()
    assert [o["key"] for o in objectives] == [objective["key"]]

    locked = _json(
        api, "put", f"/api/v1/plans/versions/{version_id}", t.plan_structure(cast.client)
    )
    assert locked.status_code == 409 and "new version" in locked.json()["detail"]
    assert _json(api, "post", f"/api/v1/plans/versions/{version_id}/sign").status_code == 409
    assert api.delete(f"/api/v1/plans/versions/{version_id}").status_code == 409

    second = _json(api, "post", f"{base}/plans/draft").json()
    kept = second["structure"]["problems"][0]["goals"][0]["objectives"][0]["key"]
    assert kept == objective["key"]
    assert _json(api, "post", f"{base}/plans/draft").status_code == 400  # one draft only
    listed = api.get(f"{base}/plans").json()
    assert [(v["number"], v["status"]) for v in listed] == [(2, "draft"), (1, "in_force")]


def test_an_invalid_structure_is_refused_whole(cast):
    api = _api(cast.alice)
    draft = _json(api, "post", f"/api/v1/clients/{cast.client.pk}/plans/draft").json()
    structure = t.plan_structure(cast.client)
    structure["problems"][0]["diagnosis_id"] = cast.other_client.diagnoses.first().pk
    refused = _json(api, "put", f"/api/v1/plans/versions/{draft['id']}", structure)
    assert refused.status_code == 400
    assert "on this client's chart" in refused.json()["detail"]
    assert PlanVersion.objects.get(pk=draft["id"]).structure()["problems"] == []


@pytest.mark.parametrize(
    "change, where",
    [
        ({"problems": [{"goals": [{"objectives": [{"status": "done"}]}]}]}, "status"),
        ({"problems": [{"text": 5}]}, "text"),
        ({"unknown": 1}, "unknown"),
        ({"review_due": "tomorrow"}, "review_due"),
    ],
)
def test_schema_errors_answer_400_and_name_the_field(cast, change, where):
    api = _api(cast.alice)
    draft = _json(api, "post", f"/api/v1/clients/{cast.client.pk}/plans/draft").json()
    refused = _json(api, "put", f"/api/v1/plans/versions/{draft['id']}", change)
    assert refused.status_code == 400
    assert where in refused.json()["detail"]


@pytest.mark.parametrize(
    "who, reads, writes",
    [
        ("sam", 200, 404),
        ("bob", 404, 404),
        ("ada", 404, 404),
        ("fred", 404, 404),
        ("pria", 404, 404),
    ],
)
def test_access_by_role(cast, who, reads, writes):
    version = t.make_plan(cast.supervisee_client, cast.sue)
    api = _api(getattr(cast, who))
    base = f"/api/v1/clients/{cast.supervisee_client.pk}"
    assert api.get(f"{base}/plans").status_code == reads
    assert api.get(f"{base}/objectives").status_code == reads
    assert api.get(f"/api/v1/plans/versions/{version.pk}").status_code == reads
    assert _json(api, "post", f"{base}/plans/draft").status_code == writes
    assert PlanVersion.objects.filter(plan__client=cast.supervisee_client).count() == 1


def test_a_note_rates_objectives_through_the_api(cast):
    t.make_plan(cast.client, cast.alice)
    api = _api(cast.alice)
    key = api.get(f"/api/v1/clients/{cast.client.pk}/objectives").json()[0]["key"]
    note = t.make_note(t.make_session(cast.client, cast.alice))
    unsigned = _json(api, "post", f"/api/v1/notes/{note.pk}/sign", {})
    assert unsigned.status_code == 400
    assert any("addresses none of the objectives" in e for e in unsigned.json()["errors"])
    patched = _json(
        api,
        "patch",
        f"/api/v1/notes/{note.pk}",
        {"objectives": [{"objective_key": key, "rating": "progressing", "comment": "Good."}]},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["content"]["objectives"][0]["rating"] == "progressing"
    assert _json(api, "post", f"/api/v1/notes/{note.pk}/sign", {}).status_code == 200


def test_a_note_signs_through_the_api_with_a_reason(cast):
    t.make_plan(cast.client, cast.alice)
    note = t.make_note(t.make_session(cast.client, cast.alice))
    signed = _json(
        _api(cast.alice),
        "post",
        f"/api/v1/notes/{note.pk}/sign",
        {"no_objective_reason": "Crisis session."},
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["content"]["no_objective_reason"] == "Crisis session."
