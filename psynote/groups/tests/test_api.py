"""The group routes: the whole flow through the API, and bad input answered with a clear
400 and nothing written."""

import json

import pytest

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.clients import actions as client_actions
from psynote.groups.models import Group, GroupAttendance, GroupSession
from psynote.groups.tests.conftest import MARKERS, SHARED
from psynote.notes.models import ProgressNote
from psynote.visits.models import SessionParticipant


@pytest.fixture
def api(client, cast):
    def call(method: str, url: str, body: dict | None = None, user=None):
        _, secret = issue_token(by=user or cast.alice, name="groups")
        return client.generic(method, f"/api/v1{url}", json.dumps(body or {}),
                              content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {secret}")
    return call


def _three(cast):
    return [t.make_client(cast.alice, first_name=f, last_name=last)
            for f, last in (("Adaline", "Quill"), ("Benedict", "Rook"), ("Cyrus", "Stave"))]


def test_a_group_session_through_the_api(api, cast):
    ada, ben, cy = _three(cast)
    made = api("POST", "/groups", {"name": "Skills", "member_ids": [str(c.pk) for c in
                                                                     (ada, ben, cy)]})
    assert made.status_code == 201, made.content
    group_id = made.json()["id"]
    gs = api("POST", f"/groups/{group_id}/sessions",
             {"date": "2026-01-05", "start_time": "09:00", "end_time": "10:30"})
    assert gs.status_code == 201 and len(gs.json()["members"]) == 3
    url = f"/group-sessions/{gs.json()['id']}"
    saved = api("PUT", url, {"shared": f"{SHARED} topic", "plan": "Next week.", "members": [
        {"client_id": str(ada.pk), "individual": MARKERS["ada"]},
        {"client_id": str(ben.pk), "individual": MARKERS["ben"]},
        {"client_id": str(cy.pk), "attendance": "late_cancelled"}]})
    assert saved.status_code == 200, saved.content
    signed = api("POST", f"{url}/sign", {"late_reason": "Fictional late entry."})
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["status"] == "signed" and body["cpt"] == "90853"
    notes = {m["client_id"]: m["note_id"] for m in body["members"]}
    assert notes[str(cy.pk)] is None
    note = api("GET", f"/notes/{notes[str(ada.pk)]}").content.decode()
    assert MARKERS["ada"] in note and MARKERS["ben"] not in note and "Benedict" not in note


def test_a_member_s_note_follows_that_member_s_care_team(api, cast):
    ada, ben, _ = _three(cast)
    client_actions.add_care_team_member(by=cast.ada, client=ben, user=cast.bob)
    made = api("POST", "/groups", {"name": "G", "member_ids": [str(ada.pk), str(ben.pk)]})
    gs = api("POST", f"/groups/{made.json()['id']}/sessions",
             {"date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"}).json()
    api("PUT", f"/group-sessions/{gs['id']}", {"shared": SHARED, "plan": "Next.", "members": [
        {"client_id": str(ada.pk), "individual": MARKERS["ada"]},
        {"client_id": str(ben.pk), "individual": MARKERS["ben"]}]})
    signed = api("POST", f"/group-sessions/{gs['id']}/sign", {"late_reason": "Fictional."})
    assert signed.status_code == 200, signed.content
    ben_note = ProgressNote.objects.get(client=ben)
    ada_note = ProgressNote.objects.get(client=ada)
    assert api("GET", f"/notes/{ben_note.pk}", user=cast.bob).status_code == 200
    assert api("GET", f"/notes/{ada_note.pk}", user=cast.bob).status_code == 404
    assert api("GET", f"/group-sessions/{gs['id']}", user=cast.bob).status_code == 404


@pytest.mark.parametrize("members, message", [
    ([], "roster is empty"),
    (["a", "a"], "twice"),
    (["other"], "not a client of this practice on your caseload"),
    (["stranger"], "not a client of this practice on your caseload"),
])
def test_bad_rosters_are_refused_and_nothing_is_written(api, cast, members, message):
    stranger = t.make_client(t.make_user(t.make_practice("Other practice"), "otto"))
    ids = {"a": cast.client.pk, "other": cast.other_client.pk, "stranger": stranger.pk}
    answer = api("POST", "/groups", {"name": "G", "member_ids": [str(ids[m]) for m in members]})
    assert answer.status_code == 400 and message in answer.json()["detail"]
    assert not Group.objects.exists()


@pytest.mark.parametrize("facilitator", [2**70, -1, 0])
def test_a_facilitator_number_out_of_range_is_a_clear_400(api, cast, facilitator):
    answer = api("POST", "/groups", {"name": "G", "member_ids": [str(cast.client.pk)],
                                     "facilitator_ids": [facilitator]})
    assert answer.status_code == 400 and "facilitator_ids" in answer.json()["detail"]
    assert not Group.objects.exists()


def test_an_individual_part_for_a_no_show_is_refused(api, cast):
    made = api("POST", "/groups", {"name": "G", "member_ids": [str(cast.client.pk)]}).json()
    gs = api("POST", f"/groups/{made['id']}/sessions",
             {"date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"}).json()
    answer = api("PUT", f"/group-sessions/{gs['id']}", {"shared": "Shared", "members": [
        {"client_id": str(cast.client.pk), "attendance": "no_show", "individual": "Text"}]})
    assert answer.status_code == 400 and "did not attend" in answer.json()["detail"]
    row = GroupAttendance.objects.get(group_session_id=gs["id"])
    assert row.attendance == "attended" and row.individual == "" and row.shared == ""
    assert not GroupSession.objects.get(pk=gs["id"]).is_signed


def test_participants_are_for_family_sessions_and_need_a_name(api, cast):
    session = t.make_session(cast.client, cast.alice)
    url = f"/sessions/{session.pk}/participants"
    answer = api("POST", url, {"role": "partner", "name": "Fictional"})
    assert answer.status_code == 400 and "family" in answer.json()["detail"]
    family = t.make_session(cast.client, cast.alice, service="family_with_client")
    url = f"/sessions/{family.pk}/participants"
    assert api("POST", url, {"role": "partner", "name": " "}).status_code == 400
    assert api("POST", url, {"role": "boss", "name": "X"}).status_code == 400
    answer = api("POST", url, {"role": "partner", "name": "X",
                               "participant_client_id": str(cast.other_client.pk)})
    assert answer.status_code == 400 and "no client" in answer.json()["detail"]
    assert not SessionParticipant.objects.exists()
    assert api("POST", url, {"role": "parent", "name": "Fictional Parent"}).status_code == 201
    assert api("GET", url).json()[0]["name"] == "Fictional Parent"
    assert api("GET", url, user=cast.bob).status_code == 404
