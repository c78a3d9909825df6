"""Clients and diagnoses through the API: who sees what, and bad input changes nothing."""

import pytest
from django.test import Client as HttpClient

from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client, Diagnosis

NEW_CLIENT = {"first_name": "Morgan", "last_name": "Notreal", "date_of_birth": "1985-02-03"}


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _ids(response) -> set[str]:
    return {item["id"] for item in response.json()["items"]}


def test_clinician_lists_only_their_caseload(cast):
    response = _api(cast.alice).get("/api/v1/clients")
    assert response.status_code == 200
    assert _ids(response) == {str(cast.client.pk)}
    assert response.json()["count"] == 1


def test_front_desk_and_admin_list_every_client_of_the_practice(cast):
    everyone = {str(c.pk) for c in (cast.client, cast.other_client, cast.supervisee_client)}
    assert _ids(_api(cast.fred).get("/api/v1/clients")) == everyone
    assert _ids(_api(cast.ada).get("/api/v1/clients")) == everyone


def test_client_list_pages_with_limit_and_offset(cast):
    api = _api(cast.fred)
    first = api.get("/api/v1/clients?limit=2&offset=0").json()
    rest = api.get("/api/v1/clients?limit=2&offset=2").json()
    assert first["count"] == rest["count"] == 3
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert api.get("/api/v1/clients?limit=0").status_code == 400
    assert api.get("/api/v1/clients?limit=99999999999999999999999").status_code == 400


def test_bob_gets_404_on_alices_client(cast):
    api = _api(cast.bob)
    url = f"/api/v1/clients/{cast.client.pk}"
    for response in (
        api.get(url),
        api.get(url + "/diagnoses"),
        api.get(url + "/sessions"),
        api.patch(url, {"phone": "555-0100"}, content_type="application/json"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found", "errors": []}
    assert AuditEvent.objects.filter(action="access.denied", actor_id=str(cast.bob.pk)).exists()


def test_missing_client_and_forbidden_client_look_the_same(cast):
    api = _api(cast.bob)
    forbidden = api.get(f"/api/v1/clients/{cast.client.pk}")
    missing = api.get("/api/v1/clients/00000000-0000-4000-8000-000000000000")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_client_detail_is_audited(cast):
    response = _api(cast.alice).get(f"/api/v1/clients/{cast.client.pk}")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Avery Fictional"
    assert AuditEvent.objects.filter(action="client.view", client_id=str(cast.client.pk)).exists()


def test_clinician_creates_client_on_own_caseload(cast):
    response = _api(cast.alice).post("/api/v1/clients", NEW_CLIENT, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["care_team"] == [
        {"user_id": cast.alice.pk, "name": "Alice Testperson, PhD", "role": "primary"}
    ]
    assert body["date_of_birth"] == "1985-02-03"


def test_front_desk_creates_client_for_a_named_clinician(cast):
    api = _api(cast.fred)
    missing = api.post("/api/v1/clients", NEW_CLIENT, content_type="application/json")
    assert missing.status_code == 400
    assert "primary_clinician_id" in missing.json()["detail"]
    created = api.post(
        "/api/v1/clients",
        NEW_CLIENT | {"primary_clinician_id": cast.bob.pk},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["care_team"][0]["user_id"] == cast.bob.pk


def test_privacy_officer_may_not_create_clients(cast):
    before = Client.objects.count()
    response = _api(cast.pria).post("/api/v1/clients", NEW_CLIENT, content_type="application/json")
    assert response.status_code == 403
    assert Client.objects.count() == before


def test_front_desk_edits_demographics(cast):
    response = _api(cast.fred).patch(
        f"/api/v1/clients/{cast.client.pk}",
        {"phone": "555-0100", "pronouns": "they/them"},
        content_type="application/json",
    )
    assert response.status_code == 200
    cast.client.refresh_from_db()
    assert (cast.client.phone, cast.client.pronouns) == ("555-0100", "they/them")


@pytest.mark.parametrize(
    "body",
    [
        {"first_name": ""},
        {"first_name": "x" * 5000},
        {"first_name": None},
        {"date_of_birth": "2999-01-01"},
        {"date_of_birth": "not a date"},
        {"email": "not an email"},
        {"status": "deceased"},
        {"sex_assigned_at_birth": 7},
        {"wrapped_key": "AAAA"},
        {"practice_id": 99},
        {"address": "nul\x00byte"},
        ["a", "list"],
        "just text",
    ],
)
def test_bad_demographics_are_400_and_change_nothing(cast, body):
    before = Client.objects.values().get(pk=cast.client.pk)
    response = _api(cast.alice).patch(
        f"/api/v1/clients/{cast.client.pk}", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"] and isinstance(response.json()["errors"], list)
    assert Client.objects.values().get(pk=cast.client.pk) == before


@pytest.mark.parametrize(
    "raw", [b"{", b"\xff\xfe", b"[" * 100_000, b'{"phone": NaN}', b'{"phone": "\\ud800"}']
)
def test_unparseable_body_is_400(cast, raw):
    before = Client.objects.values().get(pk=cast.client.pk)
    response = _api(cast.alice).patch(
        f"/api/v1/clients/{cast.client.pk}", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert Client.objects.values().get(pk=cast.client.pk) == before


def test_malformed_client_id_is_404_json(cast):
    api = _api(cast.alice)
    for bad in ("not-a-uuid", "1", "%00", "x" * 5000):
        response = api.get(f"/api/v1/clients/{bad}")
        assert response.status_code == 404
        assert response.json()["detail"] == "Not found"


def test_clinician_adds_and_reads_diagnoses(cast):
    api = _api(cast.alice)
    url = f"/api/v1/clients/{cast.client.pk}/diagnoses"
    response = api.post(
        url,
        {"code": "f32.1", "is_primary": True, "onset_date": "2024-01-10"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "F32.1" and response.json()["is_primary"] is True
    listed = api.get(url).json()
    assert [d["code"] for d in listed] == ["F32.1", "F41.1"]
    assert AuditEvent.objects.filter(action="diagnosis.view").exists()


def test_unknown_diagnosis_code_is_400_with_the_reason(cast):
    before = Diagnosis.objects.count()
    response = _api(cast.alice).post(
        f"/api/v1/clients/{cast.client.pk}/diagnoses",
        {"code": "Q99.9"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a billable code" in response.json()["detail"]
    assert Diagnosis.objects.count() == before


def test_front_desk_and_admin_get_404_on_diagnoses(cast):
    url = f"/api/v1/clients/{cast.client.pk}/diagnoses"
    for user in (cast.fred, cast.ada, cast.pria):
        api = _api(user)
        assert api.get(url).status_code == 404
        assert api.post(url, {"code": "F32.1"}, content_type="application/json").status_code == 404
    assert Diagnosis.objects.filter(client=cast.client).count() == 1


def test_supervisor_reads_but_does_not_add_supervisees_diagnoses(cast):
    api = _api(cast.sam)
    url = f"/api/v1/clients/{cast.supervisee_client.pk}/diagnoses"
    assert api.get(url).status_code == 200
    assert api.post(url, {"code": "F32.1"}, content_type="application/json").status_code == 404
