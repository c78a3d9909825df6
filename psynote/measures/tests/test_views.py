"""The measures pages: a client's scores and trends, administering, links, schedules,
resolving alerts, the caseload outcome view, and who may see each."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.measures import actions
from psynote.measures.models import Administration, MeasureSchedule, RiskAlert, SelfReportLink

ALL_ONES = {n: 1 for n in range(1, 9)} | {9: 0}
PHQ9_POST = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0", "item_10": "1"}


def give(client, user, key, answers, days_ago=0):
    return actions.administer(
        by=user,
        client=client,
        instrument_key=key,
        answers=answers,
        administered_at=timezone.now() - timedelta(days=days_ago),
    )


def phq9(total_ones: int) -> dict[int, int]:
    """A PHQ-9 with item 9 at 0 and the given total spread over items 1–8."""
    answers = {n: 0 for n in range(1, 10)}
    for i in range(total_ones):
        answers[1 + i % 8] += 1
    return answers


def url(cast, rest=""):
    return f"/clients/{cast.client.pk}/measures/{rest}"


# --- the client's measures page ---------------------------------------------------------


def test_the_measures_page_shows_trend_table_and_change_from_baseline(cast, login):
    give(cast.client, cast.alice, "phq9", phq9(18), days_ago=28)
    give(cast.client, cast.alice, "phq9", phq9(11), days_ago=0)
    response = login(cast.alice).get(url(cast))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "PHQ-9: total score over time" in html
    assert "18 → 11" in html and "(-7)" in html
    assert "Reliable improvement" in html and "NHS Talking Therapies" in html
    assert "Moderately severe" in html and "Moderate" in html
    assert AuditEvent.objects.filter(action="measures.view", client_id=str(cast.client.pk)).exists()


def test_the_talking_therapies_classification_runs_first_to_latest(cast, login):
    give(cast.client, cast.alice, "phq9", phq9(16), days_ago=56)
    give(cast.client, cast.alice, "phq9", phq9(12), days_ago=28)
    give(cast.client, cast.alice, "phq9", phq9(6), days_ago=0)
    html = login(cast.alice).get(url(cast)).content.decode()
    section = html[html.index('id="talking-therapies"') :]
    assert "PHQ-9: 16 → 6" in section
    assert "<dt>Recovery</dt><dd>Yes</dd>" in section
    assert "<dt>Reliable recovery</dt><dd>Yes</dd>" in section


def test_who5_is_shown_as_a_percentage(cast, login):
    give(cast.client, cast.alice, "who5", {n: 3 for n in range(1, 6)}, days_ago=14)
    give(cast.client, cast.alice, "who5", {n: 4 for n in range(1, 6)})
    html = login(cast.alice).get(url(cast)).content.decode()
    assert "60 → 80" in html and "Score (%)" in html


def test_administering_on_the_page_scores_and_redirects(cast, login):
    browser = login(cast.alice)
    page = browser.get(url(cast, "phq9/administer/"))
    assert (
        page.status_code == 200 and 'type="radio" name="item_9" value="3"' in page.content.decode()
    )
    response = browser.post(url(cast, "phq9/administer/"), PHQ9_POST)
    assert response.status_code == 302
    a = Administration.objects.get()
    assert (a.total, a.band, a.created_by) == (8, "Mild", cast.alice)
    assert "PHQ-9 recorded: 8 (Mild)" in browser.get(url(cast)).content.decode()


def test_an_incomplete_form_re_renders_with_the_message_and_saves_nothing(cast, login):
    post = dict(PHQ9_POST)
    del post["item_4"]
    response = login(cast.alice).post(url(cast, "phq9/administer/"), post)
    html = response.content.decode()
    assert response.status_code == 400 and "item 4 unanswered" in html
    assert 'name="item_3" value="1" checked' in html
    assert not Administration.objects.exists()


@pytest.mark.parametrize("tampered", ["7", "³", "٢"])
def test_a_tampered_answer_is_refused_with_a_message(cast, login, tampered):
    response = login(cast.alice).post(
        url(cast, "phq9/administer/"), PHQ9_POST | {"item_2": tampered}
    )
    assert response.status_code == 400 and "Question 2: choose one of the answers" in (
        response.content.decode()
    )
    assert not Administration.objects.exists()


def test_an_unknown_instrument_is_a_404(cast, login):
    assert login(cast.alice).get(url(cast, "bdi2/administer/")).status_code == 404


def test_a_critical_answer_on_the_page_opens_an_alert_and_says_so(cast, login):
    browser = login(cast.alice)
    browser.post(url(cast, "phq9/administer/"), PHQ9_POST | {"item_9": "2"})
    html = browser.get(url(cast)).content.decode()
    assert RiskAlert.objects.filter(client=cast.client).exists()
    assert "Risk alert opened" in html and "Open risk alert" in html


def test_resolving_an_alert_on_the_page(cast, login):
    give(cast.client, cast.alice, "phq9", ALL_ONES | {9: 1})
    alert = RiskAlert.objects.get()
    browser = login(cast.alice)
    bad = browser.post(f"/alerts/{alert.pk}/resolve/", {f"alert{alert.pk}-resolution": "assessed"})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    ok = browser.post(
        f"/alerts/{alert.pk}/resolve/",
        {f"alert{alert.pk}-resolution": "contacted", f"alert{alert.pk}-note": "Fictional call."},
    )
    assert ok.status_code == 302
    alert.refresh_from_db()
    assert not alert.is_open
    html = browser.get(url(cast)).content.decode()
    assert "Resolved risk alerts" in html and "Fictional call." in html


def test_sending_a_link_shows_it_once_with_its_expiry(cast, login):
    browser = login(cast.alice)
    response = browser.post(url(cast, "link/"), {"instrument": "gad7", "days": "3"})
    html = response.content.decode()
    assert response.status_code == 200 and "shown only once" in html
    link = SelfReportLink.objects.get()
    start = html.index('value="http://testserver/r/') + len('value="http://testserver/r/')
    token = html[start : html.index("/", start)]
    assert SelfReportLink.hash_token(token) == link.token_hash
    assert timedelta(days=2, hours=23) < link.expires_at - timezone.now() <= timedelta(days=3)
    assert token not in browser.get(url(cast)).content.decode()


def test_a_link_for_an_unknown_instrument_is_refused_on_the_page(cast, login):
    response = login(cast.alice).post(url(cast, "link/"), {"instrument": "bdi2", "days": "7"})
    assert response.status_code == 400 and "There is no instrument" in response.content.decode()
    assert not SelfReportLink.objects.exists()


def test_setting_and_stopping_a_schedule_on_the_page(cast, login):
    browser = login(cast.alice)
    post = {"instrument": "phq9", "rhythm": "interval", "every_n_days": "14"}
    assert browser.post(url(cast, "schedule/"), post).status_code == 302
    schedule = MeasureSchedule.objects.get(active=True)
    assert schedule.every_n_days == 14
    html = browser.get(url(cast)).content.decode()
    assert "every 14 days" in html and "Due" in html  # never given yet: due today
    missing = browser.post(url(cast, "schedule/"), {"instrument": "phq9", "rhythm": "interval"})
    assert missing.status_code == 400
    browser.post(url(cast, "schedule/"), {"instrument": "phq9", "rhythm": "stop"})
    assert not MeasureSchedule.objects.filter(active=True).exists()


# --- who may see what -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "ada", "fred", "pria"])
def test_others_get_a_404_on_every_measures_page(cast, login, who):
    give(cast.client, cast.alice, "phq9", ALL_ONES | {9: 1})
    alert = RiskAlert.objects.get()
    browser = login(getattr(cast, who))
    assert browser.get(url(cast)).status_code == 404
    assert browser.get(url(cast, "phq9/administer/")).status_code == 404
    assert browser.post(url(cast, "phq9/administer/"), PHQ9_POST).status_code == 404
    assert browser.post(url(cast, "link/"), {"instrument": "phq9", "days": "7"}).status_code == 404
    assert (
        browser.post(
            url(cast, "schedule/"), {"instrument": "phq9", "rhythm": "session"}
        ).status_code
        == 404
    )
    assert (
        browser.post(
            f"/alerts/{alert.pk}/resolve/",
            {f"alert{alert.pk}-resolution": "assessed", f"alert{alert.pk}-note": "x"},
        ).status_code
        == 404
    )
    assert Administration.objects.count() == 1 and not SelfReportLink.objects.exists()
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=str(getattr(cast, who).pk)
    ).exists()


def test_a_supervisor_reads_a_supervisees_client_but_does_not_write(cast, login):
    client = cast.supervisee_client
    give(client, cast.sue, "gad7", {n: 1 for n in range(1, 8)})
    browser = login(cast.sam)
    page = browser.get(f"/clients/{client.pk}/measures/")
    assert page.status_code == 200 and "GAD-7" in page.content.decode()
    assert "Administer now" not in page.content.decode()
    assert browser.get(f"/clients/{client.pk}/measures/gad7/administer/").status_code == 404
    assert (
        browser.post(
            f"/clients/{client.pk}/measures/link/", {"instrument": "gad7", "days": "7"}
        ).status_code
        == 404
    )


# --- the caseload outcome view ----------------------------------------------------------


def _row(html, name):
    start = html.index(name)
    return html[start : html.index("</tr>", start)]


def test_the_outcome_view_lists_latest_score_trend_due_and_alerts(cast, login):
    high = t.make_client(cast.alice, first_name="Hale", last_name="Highscore")
    low = t.make_client(cast.alice, first_name="Lee", last_name="Lowscore")
    give(high, cast.alice, "phq9", phq9(12), days_ago=14)
    give(high, cast.alice, "phq9", phq9(19))
    give(low, cast.alice, "phq9", phq9(9), days_ago=14)
    give(low, cast.alice, "phq9", phq9(4))
    give(cast.client, cast.alice, "phq9", ALL_ONES | {9: 1})
    actions.set_schedule(by=cast.alice, client=low, instrument_key="gad7", every_n_days=7)
    html = login(cast.alice).get("/caseload/outcomes/").content.decode()
    assert "Imaginary" not in html  # bob's client
    high_row, low_row = _row(html, "Highscore"), _row(html, "Lowscore")
    assert "<strong>19</strong>" in high_row and "↑" in high_row and "trend-worse" in high_row
    assert "up 7 from 12 (worse)" in high_row
    # Better or worse in words on screen, not by colour alone (WCAG 2.1 SC 1.4.1).
    assert '<span aria-hidden="true">↑ worse</span>' in high_row
    assert '<span aria-hidden="true">↓ better</span>' in low_row
    assert "<strong>4</strong>" in low_row and "↓" in low_row and "trend-better" in low_row
    assert "GAD-7 due" in low_row
    assert "1 open" in _row(html, "Fictional")
    # Open alerts first by default.
    assert html.index("Fictional") < html.index("Highscore") < html.index("Lowscore")


def test_the_outcome_view_sorts_by_latest_score(cast, login):
    for name, total in (("Mid", 10), ("Top", 20), ("Bottom", 2)):
        give(t.make_client(cast.alice, last_name=name), cast.alice, "phq9", phq9(total))
    browser = login(cast.alice)
    html = browser.get("/caseload/outcomes/?sort=phq9").content.decode()
    assert (
        html.index("Top,") < html.index("Mid,") < html.index("Bottom,") < html.index("Fictional,")
    )
    html = browser.get("/caseload/outcomes/?sort=phq9&order=asc").content.decode()
    assert html.index("Bottom,") < html.index("Mid,") < html.index("Top,")


def test_the_outcome_view_costs_the_same_queries_for_many_clients(cast, login):
    browser = login(cast.alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/caseload/outcomes/").status_code == 200
        return len(captured)

    def busy(number: int) -> None:
        client = t.make_client(cast.alice, last_name=f"Busy{number}", diagnosis=None)
        give(client, cast.alice, "phq9", phq9(number), days_ago=7)
        give(client, cast.alice, "phq9", phq9(number + 1) | {9: 1})
        give(client, cast.alice, "gad7", {n: 1 for n in range(1, 8)})
        actions.set_schedule(
            by=cast.alice, client=client, instrument_key="gad7", before_each_session=True
        )
        t.make_session(client, cast.alice, attendance="scheduled")

    queries()  # the first request records the session's activity
    busy(1)
    few = queries()
    for number in range(2, 9):
        busy(number)
    assert queries() == few


@pytest.mark.parametrize("who", ["ada", "fred", "pria"])
def test_the_outcome_view_is_for_clinicians_only(cast, login, who):
    assert login(getattr(cast, who)).get("/caseload/outcomes/").status_code == 404
