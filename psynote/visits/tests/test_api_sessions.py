"""Sessions through the API: the schedule for front desk, the record for clinicians."""

from datetime import date, timedelta

from django.test import Client as HttpClient

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.visits.models import Session

HELD = {
    "date": "2026-01-05",
    "start_time": "10:00",
    "end_time": "10:50",
    "modality": "video",
    "place": "client_home",
}


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def test_clinician_records_a_session_with_cpt_and_telehealth_codes(cast):
    response = _api(cast.alice).post(
        f"/api/v1/clients/{cast.client.pk}/sessions", HELD, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["clinician_id"] == cast.alice.pk and body["attendance"] == "attended"
    assert body["minutes"] == 50
    assert body["cpt"] == {
        "codes": ["90834"],
        "lines": [{"code": "90834", "add_on": False, "units": 1}],
        "display": "90834",
        "reason": "50 min face-to-face",
    }
    assert (body["pos_code"], body["telehealth_modifier"]) == ("10", "95")
    assert body["start_time"] == "10:00:00"
    detail = _api(cast.alice).get(f"/api/v1/sessions/{body['id']}").json()
    assert detail["cpt"]["codes"] == ["90834"]


def test_front_desk_schedules_for_a_care_team_clinician(cast):
    api = _api(cast.fred)
    url = f"/api/v1/clients/{cast.client.pk}/sessions"
    later = (date.today() + timedelta(days=7)).isoformat()
    slot = {"date": later, "start_time": "09:00", "end_time": "09:50"}
    assert api.post(url, slot, content_type="application/json").status_code == 400
    response = api.post(
        url, slot | {"clinician_id": cast.alice.pk}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["attendance"] == "scheduled"
    refused = api.post(url, slot | {"clinician_id": cast.bob.pk}, content_type="application/json")
    assert refused.status_code == 400
    assert "care team" in refused.json()["detail"]


def test_front_desk_reads_sessions_but_not_notes_or_diagnoses(cast):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session)
    api = _api(cast.fred)
    listed = api.get(f"/api/v1/clients/{cast.client.pk}/sessions")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [str(session.pk)]
    assert api.get(f"/api/v1/sessions/{session.pk}").status_code == 200
    assert api.get(f"/api/v1/clients/{cast.client.pk}/notes").status_code == 404
    assert api.get(f"/api/v1/notes/{note.pk}").status_code == 404
    assert api.get(f"/api/v1/clients/{cast.client.pk}/diagnoses").status_code == 404


def test_admin_gets_404_on_sessions_and_notes(cast):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session)
    api = _api(cast.ada)
    assert api.get(f"/api/v1/clients/{cast.client.pk}/sessions").status_code == 404
    assert api.get(f"/api/v1/sessions/{session.pk}").status_code == 404
    assert api.get(f"/api/v1/notes/{note.pk}").status_code == 404
    assert api.get(f"/api/v1/clients/{cast.client.pk}/notes").status_code == 404


def test_patch_changes_only_the_given_fields(cast):
    session = t.make_session(cast.client, cast.alice, minutes=30)
    response = _api(cast.alice).patch(
        f"/api/v1/sessions/{session.pk}", {"end_time": "11:00"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert session.minutes == 60 and session.modality == "in_person"
    assert response.json()["cpt"]["codes"] == ["90837"]


def test_clinician_cannot_edit_a_colleagues_session(cast):
    session = t.make_session(cast.supervisee_client, cast.sue)
    response = _api(cast.sam).patch(
        f"/api/v1/sessions/{session.pk}", {"end_time": "11:00"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_session_of_a_signed_note_answers_409(cast):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True)
    response = _api(cast.alice).patch(
        f"/api/v1/sessions/{session.pk}", {"end_time": "11:30"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "signed" in response.json()["detail"]


def test_bad_session_input_is_400_and_changes_nothing(cast):
    session = t.make_session(cast.client, cast.alice)
    api = _api(cast.alice)
    before = Session.objects.values().get(pk=session.pk)
    count = Session.objects.count()
    for body in (
        {"end_time": "09:00"},
        {"start_time": "10:00+05:00"},
        {"modality": "fax"},
        {"attendance": "attended", "date": "2999-01-01"},
        {"date": None},
        {"interactive_complexity": "perhaps"},
        {"clinician": 1},
        {"date": "2026-02-30"},
        {"start_time": "25:00"},
    ):
        response = api.patch(
            f"/api/v1/sessions/{session.pk}", body, content_type="application/json"
        )
        assert response.status_code == 400, (body, response.content)
        created = api.post(
            f"/api/v1/clients/{cast.client.pk}/sessions",
            HELD | body,
            content_type="application/json",
        )
        assert created.status_code == 400, (body, created.content)
    assert Session.objects.values().get(pk=session.pk) == before
    assert Session.objects.count() == count


def test_huge_clinician_id_is_400_not_a_crash(cast):
    response = _api(cast.fred).post(
        f"/api/v1/clients/{cast.client.pk}/sessions",
        HELD | {"clinician_id": 2**70},
        content_type="application/json",
    )
    assert response.status_code == 400
