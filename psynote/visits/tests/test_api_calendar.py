"""The calendar through the API: booking a series, a double booking as 409 until
confirmed, rescheduling, cancelling, no-shows, the calendar's days, and bad input as 400
with nothing written."""

from datetime import time, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.visits.models import Session


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def _book(api, client, **changes):
    body = {"date": _tomorrow(), "start_time": "10:00", "end_time": "10:50"} | changes
    return api.post(f"/api/v1/clients/{client.pk}/appointments", body,
                    content_type="application/json")


def test_front_desk_books_a_fortnightly_series_and_a_clash_is_409_until_confirmed(cast):
    api = _api(cast.fred)
    response = _book(api, cast.client, repeat="fortnightly", count=4, clinician_id=cast.alice.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["sessions"]) == 4 and body["series_id"]
    assert {s["attendance"] for s in body["sessions"]} == {"scheduled"}
    clash = _book(api, cast.client, start_time="10:30", end_time="11:20",
                  clinician_id=cast.alice.pk)
    assert clash.status_code == 409
    assert "allow_double_booking" in clash.json()["detail"]
    assert Session.objects.count() == 4
    confirmed = _book(api, cast.client, start_time="10:30", end_time="11:20",
                      clinician_id=cast.alice.pk, allow_double_booking=True)
    assert confirmed.status_code == 201 and confirmed.json()["series_id"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"end_time": "09:00"},
        {"repeat": "weekly", "count": 0},
        {"repeat": "weekly", "count": 10_000},
        {"repeat": "weekly"},
        {"date": "2001-01-01"},
        {"date": "2999-01-01"},
        {"repeat": "weekly", "until": "2001-01-01"},
        {"repeat": "monthly", "count": 3},
        {"clinician_id": 99999},
        {"start_time": None},
    ],
)
def test_bad_bookings_are_400_and_write_nothing(cast, changes):
    response = _book(_api(cast.alice), cast.client, **changes)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not Session.objects.exists()


def test_front_desk_must_name_a_care_team_clinician(cast):
    response = _book(_api(cast.fred), cast.client, clinician_id=cast.bob.pk)
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_reschedule_cancel_and_no_show(cast):
    api = _api(cast.alice)
    sessions = _book(api, cast.client, repeat="weekly", count=3).json()["sessions"]
    moved = api.post(f"/api/v1/sessions/{sessions[0]['id']}/reschedule",
                     {"date": _tomorrow(), "start_time": "15:00", "end_time": "15:45"},
                     content_type="application/json")
    assert moved.status_code == 200 and moved.json()["minutes"] == 45
    bad = api.post(f"/api/v1/sessions/{sessions[1]['id']}/reschedule",
                   {"date": _tomorrow(), "start_time": "15:00", "end_time": "14:00"},
                   content_type="application/json")
    assert bad.status_code == 400
    cancelled = api.post(f"/api/v1/sessions/{sessions[1]['id']}/cancel",
                         {"reason": "client", "late": True}, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["attendance"] == "late_cancelled"
    assert api.post(f"/api/v1/sessions/{sessions[2]['id']}/cancel", {"reason": "whim"},
                    content_type="application/json").status_code == 400
    early = api.post(f"/api/v1/sessions/{sessions[2]['id']}/no-show")
    assert early.status_code == 400 and "not happened yet" in early.json()["detail"]
    today = t.make_session(cast.client, cast.alice, attendance="scheduled", start=time(8, 0))
    assert api.post(f"/api/v1/sessions/{today.pk}/no-show").json()["attendance"] == "no_show"


def test_calendar_days_by_role(cast):
    t.make_session(cast.client, cast.alice, attendance="scheduled")
    t.make_session(cast.other_client, cast.bob, attendance="scheduled")
    alices = _api(cast.alice).get("/api/v1/calendar").json()
    assert [s["client_name"] for s in alices] == [cast.client.display_name]
    desk = _api(cast.fred).get("/api/v1/calendar?days=1").json()
    assert len(desk) == 2
    only_bob = _api(cast.fred).get(f"/api/v1/calendar?clinician_id={cast.bob.pk}").json()
    assert [s["clinician_id"] for s in only_bob] == [cast.bob.pk]
    assert _api(cast.fred).get("/api/v1/calendar?days=0").status_code == 400
    assert _api(cast.fred).get("/api/v1/calendar?start=1900-01-01").status_code == 400
    assert _api(cast.fred).get("/api/v1/calendar?clinician_id=99999").status_code == 400
    assert _api(cast.ada).get("/api/v1/calendar").status_code == 403


def test_times_with_a_time_zone_are_refused(cast):
    api = _api(cast.alice)
    assert _book(api, cast.client, start_time="10:00:00+02:00").status_code == 400
    session = _book(api, cast.client).json()["sessions"][0]
    moved = api.post(f"/api/v1/sessions/{session['id']}/reschedule",
                     {"date": _tomorrow(), "start_time": "15:00", "end_time": "15:45Z"},
                     content_type="application/json")
    assert moved.status_code == 400
    assert Session.objects.count() == 1
