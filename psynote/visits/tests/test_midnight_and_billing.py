"""Sessions that cross midnight (23:30–00:30), and CPT codes as a billing system takes them
(docs/clinical-sources.md#cpt-psychotherapy-codes)."""

from datetime import date, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.visits import cpt
from psynote.visits.forms import SessionForm
from psynote.visits.models import Session


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _form(start: str, end: str, **changes: str) -> SessionForm:
    return SessionForm({
        "date": "2026-01-05", "start_time": start, "end_time": end, "service": "psychotherapy",
        "modality": "in_person", "place": "office", "attendance": "attended",
    } | changes)


# --- crossing midnight ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "minutes", "code"),
    [("23:30", "00:30", 60, "90837"), ("23:45", "00:25", 40, "90834"),
     ("23:50", "00:10", 20, "90832"), ("18:00", "06:00", 720, "90837"),
     ("10:00", "10:50", 50, "90834")],
)
def test_minutes_and_the_cpt_band_count_across_midnight(start, end, minutes, code):
    session = Session(date=date(2026, 1, 5), start_time=time.fromisoformat(start),
                      end_time=time.fromisoformat(end), service=cpt.PSYCHOTHERAPY)
    assert session.minutes == minutes
    assert session.cpt_suggestion().codes == [code]
    crossed = time.fromisoformat(end) <= time.fromisoformat(start)
    assert session.crosses_midnight is crossed
    assert session.end_date == date(2026, 1, 6 if crossed else 5)
    assert session.ended_at == timezone.make_aware(
        timezone.datetime.combine(session.end_date, time.fromisoformat(end)))


def test_the_form_accepts_a_session_across_midnight(db):
    form = _form("23:30", "00:30")
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("start", "end"),
    [("10:00", "10:00"), ("14:00", "11:00"), ("17:59", "00:30"), ("23:30", "06:01"),
     ("12:00", "09:00")],
)
def test_the_form_refuses_a_stop_time_that_is_not_after_the_start(db, start, end):
    form = _form(start, end)
    assert not form.is_valid()
    message = form.errors["end_time"][0]
    assert "The stop time must be after the start time" in message
    assert "crosses midnight (e.g. 23:30–00:30) starts at 18:00 or later" in message


def test_the_database_accepts_midnight_and_refuses_the_rest(cast):
    session = t.make_session(cast.client, cast.alice, start=time(23, 30), minutes=60)
    assert (session.start_time, session.end_time, session.minutes) == (time(23, 30),
                                                                       time(0, 30), 60)
    for start, end in ((time(14, 0), time(11, 0)), (time(22, 0), time(22, 0))):
        with pytest.raises(IntegrityError, match="session_stop_after_start"), \
                transaction.atomic():
            Session.objects.filter(pk=session.pk).update(start_time=start, end_time=end)


def test_a_session_across_midnight_through_the_page_and_the_api(cast, login):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/sessions/new/", {
        "date": yesterday, "start_time": "23:30", "end_time": "00:30",
        "service": "psychotherapy", "modality": "in_person", "place": "office",
        "attendance": "attended",
    })
    assert response.status_code == 302, response.content.decode()
    session = Session.objects.get(client=cast.client, start_time=time(23, 30))
    assert session.minutes == 60
    body = _api(cast.alice).get(f"/api/v1/sessions/{session.pk}").json()
    assert body["minutes"] == 60 and body["cpt"]["codes"] == ["90837"]
    created = _api(cast.alice).post(
        f"/api/v1/clients/{cast.client.pk}/sessions",
        {"date": yesterday, "start_time": "23:45", "end_time": "00:25"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["minutes"] == 40 and created.json()["cpt"]["codes"] == ["90834"]
    refused = _api(cast.alice).post(
        f"/api/v1/clients/{cast.client.pk}/sessions",
        {"date": yesterday, "start_time": "14:00", "end_time": "11:00"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "stop time must be after the start time" in refused.content.decode()


# --- CPT for billing -----------------------------------------------------------------------


def test_billing_codes_drop_the_add_on_mark_and_lines_count_units():
    crisis = cpt.suggest(cpt.CRISIS, 120)
    assert crisis.codes == ["90839", "+90840", "+90840"]
    assert crisis.text == "90839 +90840 +90840"
    assert crisis.billing_codes == ["90839", "90840", "90840"]
    assert crisis.lines == [cpt.Line("90839", False, 1), cpt.Line("90840", True, 2)]
    assert [line.display for line in crisis.lines] == ["90839", "+90840"]
    with_em = cpt.suggest(cpt.PSYCHOTHERAPY_WITH_EM, 40, interactive_complexity=True)
    assert with_em.billing_codes == ["90836", "90785"]
    assert with_em.lines == [cpt.Line("90836", True, 1), cpt.Line("90785", True, 1)]


@given(service=st.sampled_from([key for key, _ in cpt.SERVICES]),
       m=st.integers(min_value=0, max_value=300), ic=st.booleans())
def test_billing_codes_are_five_digits_and_match_the_display(service, m, ic):
    suggestion = cpt.suggest(service, m, interactive_complexity=ic)
    assert all(len(c) == 5 and c.isdigit() for c in suggestion.billing_codes)
    shown = [line.display for line in suggestion.lines for _ in range(line.units)]
    assert sorted(shown) == sorted(suggestion.codes)
    assert [c.startswith("+") for c in suggestion.codes] == [
        c in {"90833", "90836", "90838", "90840", "90785"} for c in suggestion.billing_codes]


def test_the_api_gives_bare_codes_with_add_on_flags(cast):
    session = t.make_session(cast.client, cast.alice, minutes=120, service=cpt.CRISIS,
                             day=timezone.localdate() - timedelta(days=1))
    body = _api(cast.alice).get(f"/api/v1/sessions/{session.pk}").json()
    assert body["cpt"] == {
        "codes": ["90839", "90840", "90840"],
        "lines": [{"code": "90839", "add_on": False, "units": 1},
                  {"code": "90840", "add_on": True, "units": 2}],
        "display": "90839 +90840 +90840",
        "reason": "120 min crisis",
    }
    schema = _api(cast.alice).get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schema["CptOut"]["properties"]) == {"codes", "lines", "display", "reason"}
    assert set(schema["CptLineOut"]["properties"]) == {"code", "add_on", "units"}


def test_the_chart_and_the_session_page_say_the_stop_was_the_next_day(cast, login):
    session = t.make_session(cast.client, cast.alice, start=time(23, 30), minutes=60)
    browser = login(cast.alice)
    for path in (f"/clients/{cast.client.pk}/", f"/sessions/{session.pk}/"):
        page = browser.get(path).content.decode()
        assert "23:30–00:30 next day" in page, path
