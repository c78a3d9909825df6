"""The client's measures page and the caseload outcome view cost a fixed number of queries
however many scores and clients they show (issue 9: no query per row)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.measures import actions
from psynote.visits.models import Session

CALM = {n: 1 for n in range(1, 9)} | {9: 0}


def give(client, user, key, answers, days_ago=0):
    return actions.administer(
        by=user, client=client, instrument_key=key, answers=answers,
        administered_at=timezone.now() - timedelta(days=days_ago),
    )


def _count(browser, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_client_measures_page_costs_the_same_queries_for_a_long_history(
    cast, login, django_assert_max_num_queries
):
    browser = login(cast.alice)
    url = f"/clients/{cast.client.pk}/measures/"
    give(cast.client, cast.alice, "phq9", CALM, days_ago=7)
    give(cast.client, cast.alice, "gad7", {n: 1 for n in range(1, 8)}, days_ago=7)
    _count(browser, url)  # the first request records the session's activity
    few = _count(browser, url)
    for week in range(1, 13):
        give(cast.client, cast.alice, "phq9", CALM, days_ago=7 * week + 1)
        give(cast.client, cast.alice, "gad7", {n: week % 4 for n in range(1, 8)},
             days_ago=7 * week + 1)
        give(cast.client, cast.alice, "who5", {n: week % 6 for n in range(1, 6)},
             days_ago=7 * week + 2)
    with django_assert_max_num_queries(few):
        html = browser.get(url).content.decode()
    assert html.count("<svg") == 3 and html.count('class="nowrap"') == 2 + 3 * 12


def test_the_caseload_outcome_view_costs_the_same_queries_for_many_clients(
    cast, login, django_assert_max_num_queries
):
    browser = login(cast.alice)
    _count(browser, "/caseload/outcomes/")  # the first request records the session's activity
    give(cast.client, cast.alice, "phq9", CALM)
    few = _count(browser, "/caseload/outcomes/")
    for number in range(12):
        client = t.make_client(cast.alice, last_name=f"Many{number}", diagnosis=None)
        for days_ago in (21, 14, 7):
            give(client, cast.alice, "phq9", CALM, days_ago=days_ago)
        give(client, cast.alice, "gad7", {n: number % 4 for n in range(1, 8)})
        actions.set_schedule(by=cast.alice, client=client, instrument_key="who5",
                             every_n_days=7)
    with django_assert_max_num_queries(few):
        html = browser.get("/caseload/outcomes/").content.decode()
    assert html.count("<tr data-client=") == 13


def test_the_outcome_view_of_an_empty_caseload_says_so(cast, login):
    newcomer = t.make_user(cast.practice, "newcomer")
    html = login(newcomer).get("/caseload/outcomes/").content.decode()
    assert "No active clients on your caseload." in html


def test_latest_scores_of_no_clients_is_empty(cast):
    from psynote.clients.models import Client
    from psynote.measures import outcomes

    assert outcomes.latest_scores([]) == {}
    assert outcomes.latest_scores(Client.objects.none()) == {}


def _queries(browser, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_measures_page_queries_do_not_grow_with_scores_schedules_or_alerts(
    cast, login, django_assert_max_num_queries
):
    browser = login(cast.alice)
    url = f"/clients/{cast.client.pk}/measures/"
    # One of each kind first (a risk alert, both rhythms of schedule, a session booked),
    # so that only the sizes grow after.
    give(cast.client, cast.alice, "phq9", CALM | {9: 1}, days_ago=30)
    actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="phq9",
                         every_n_days=14)
    actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="pcl5",
                         before_each_session=True)
    t.make_session(cast.client, cast.alice, day=timezone.localdate() + timedelta(days=1),
                   attendance=Session.Attendance.SCHEDULED)
    browser.get(url)  # the first request records the session's activity
    few = _queries(browser, url, django_assert_max_num_queries, 100)
    for week in range(1, 9):
        give(cast.client, cast.alice, "phq9", CALM | {9: week % 2}, days_ago=30 + 7 * week)
        give(cast.client, cast.alice, "gad7", {n: week % 4 for n in range(1, 8)},
             days_ago=7 * week)
        give(cast.client, cast.alice, "who5", {n: 3 for n in range(1, 6)}, days_ago=7 * week)
    for key in ("gad7", "who5"):
        actions.set_schedule(by=cast.alice, client=cast.client, instrument_key=key,
                             before_each_session=True)
    for days in range(2, 6):
        t.make_session(cast.client, cast.alice, day=timezone.localdate() + timedelta(days=days),
                       attendance=Session.Attendance.SCHEDULED)
    html = browser.get(url).content.decode()
    assert html.count("<svg") == 3 and html.count('class="alert-item"') == 5
    _queries(browser, url, django_assert_max_num_queries, few)


def test_the_outcome_view_queries_do_not_grow_with_clients_scores_or_schedules(
    cast, login, django_assert_max_num_queries
):
    browser = login(cast.alice)
    browser.get("/caseload/outcomes/")  # the first request records the session's activity
    # One of each kind first (a risk alert, a schedule before each session, a session
    # booked), so that only the sizes grow after.
    give(cast.client, cast.alice, "phq9", CALM | {9: 1})
    actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="gad7",
                         before_each_session=True)
    t.make_session(cast.client, cast.alice, day=timezone.localdate() + timedelta(days=2),
                   attendance=Session.Attendance.SCHEDULED)
    few = _queries(browser, "/caseload/outcomes/", django_assert_max_num_queries, 100)
    for number in range(15):
        client = t.make_client(cast.alice, last_name=f"Sized{number}", diagnosis=None)
        for days_ago in (28, 14, 0):
            give(client, cast.alice, "phq9", CALM | {9: number % 2}, days_ago=days_ago)
        give(client, cast.alice, "who5", {n: number % 6 for n in range(1, 6)})
        actions.set_schedule(by=cast.alice, client=client, instrument_key="gad7",
                             before_each_session=number % 2 == 0,
                             every_n_days=None if number % 2 == 0 else 7)
        t.make_session(client, cast.alice, day=timezone.localdate() + timedelta(days=2),
                       attendance=Session.Attendance.SCHEDULED)
    html = browser.get("/caseload/outcomes/").content.decode()
    assert html.count("<tr data-client=") == 16
    _queries(browser, "/caseload/outcomes/", django_assert_max_num_queries, few)
