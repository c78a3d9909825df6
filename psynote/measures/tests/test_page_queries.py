"""The client's measures page and the caseload outcome view cost a fixed number of queries
however many scores and clients they show (issue 9: no query per row)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.measures import actions

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
