"""Self-report links: single use, expiry, wrong token, replay, throttling, and a page that
shows the questionnaire and the practice's name and nothing else of the record."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as Browser
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.measures import access, actions
from psynote.measures.models import Administration, RiskAlert, SelfReportLink

PHQ9_POST = {f"item_{n}": "1" for n in range(1, 10)} | {"item_10": "0"}


@pytest.fixture
def link(cast):
    """(row, token) of a PHQ-9 link for alice's client."""
    return actions.create_self_report_link(by=cast.alice, client=cast.client, instrument_key="phq9")


def state() -> tuple[int, int, list]:
    return (
        Administration.objects.count(),
        RiskAlert.objects.count(),
        list(SelfReportLink.objects.values_list("used_at", flat=True)),
    )


def test_only_the_tokens_hash_is_stored_and_the_link_expires_in_seven_days(cast, link):
    row, token = link
    assert row.token_hash == SelfReportLink.hash_token(token) and token not in row.token_hash
    assert timedelta(days=6, hours=23) < row.expires_at - timezone.now() <= timedelta(days=7)
    assert AuditEvent.objects.filter(action="self_report.link_create").exists()


def test_submitting_stores_the_clients_answers_once(cast, link):
    row, token = link
    administration = actions.submit_self_report(token=token, answers={n: 1 for n in range(1, 10)})
    row.refresh_from_db()
    assert administration.source == "self_report" and administration.created_by is None
    assert administration.total == 9 and row.administration == administration and row.used_at
    event = AuditEvent.objects.get(action="self_report.submit")
    assert event.actor_id == "" and "self-report" in event.detail
    assert event.client_id == str(cast.client.pk)


def test_replay_is_refused_and_changes_nothing(cast, link):
    _, token = link
    actions.submit_self_report(token=token, answers={n: 0 for n in range(1, 10)})
    before = state()
    with pytest.raises(actions.LinkUnusable, match="expired or was already used"):
        actions.submit_self_report(token=token, answers={n: 3 for n in range(1, 10)})
    assert state() == before
    assert AuditEvent.objects.filter(action="self_report.invalid_token").count() == 1


def test_an_expired_link_is_refused_and_changes_nothing(cast, link):
    row, token = link
    SelfReportLink.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    before = state()
    with pytest.raises(actions.LinkUnusable) as caught:
        actions.submit_self_report(token=token, answers={n: 0 for n in range(1, 10)})
    assert caught.value.gone
    assert state() == before


def test_a_wrong_token_is_refused_and_changes_nothing(cast, link):
    before = state()
    for wrong in ("x" * 43, "", None, link[1][:-1] + ("A" if link[1][-1] != "A" else "B")):
        with pytest.raises(actions.LinkUnusable) as caught:
            actions.submit_self_report(token=wrong, answers={n: 0 for n in range(1, 10)})
        assert not caught.value.gone
    assert state() == before


def test_incomplete_answers_are_refused_and_the_link_stays_usable(cast, link):
    row, token = link
    with pytest.raises(ValidationError, match="item 9 unanswered"):
        actions.submit_self_report(token=token, answers={n: 0 for n in range(1, 9)})
    row.refresh_from_db()
    assert row.used_at is None and not Administration.objects.exists()


def test_a_critical_self_report_opens_a_risk_alert(cast, link):
    actions.submit_self_report(token=link[1], answers={n: 0 for n in range(1, 9)} | {9: 1})
    alert = RiskAlert.objects.get()
    assert alert.client == cast.client and alert.is_open


# --- the page ---------------------------------------------------------------------------


def test_the_page_needs_no_login_and_shows_only_the_questionnaire(cast, link):
    _, token = link
    t.make_note(
        t.make_session(cast.client, cast.alice),
        sections=t.SOAP | {"subjective": "MARKER-NOTE-TEXT fictional"},
    )
    cast.client.phone = "555-0100"
    cast.client.save()
    page = Browser().get(f"/r/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Patient Health Questionnaire-9" in html and "Several days" in html
    assert "Fictional Test Practice" in html
    for secret in (
        "Avery",
        "Fictional",
        "1990",
        "05-17",
        "F41.1",
        "Generalized",
        "MARKER-NOTE-TEXT",
        "555-0100",
        "Alice",
        str(cast.client.pk),
    ):
        assert secret not in html.replace("Fictional Test Practice", ""), secret
    assert "Log out" not in html and "Caseload" not in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]


def test_a_logged_in_clinician_sees_no_navigation_on_the_page(cast, link, login):
    html = login(cast.alice).get(f"/r/{link[1]}/").content.decode()
    assert "Log out" not in html and "Avery" not in html and "Caseload" not in html


def test_submitting_the_page_thanks_the_client_and_records_the_answers(cast, link):
    browser = Browser()
    response = browser.post(f"/r/{link[1]}/", PHQ9_POST)
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert Administration.objects.get().total == 9
    again = browser.get(f"/r/{link[1]}/")
    assert again.status_code == 410
    assert "This link has expired or was already used. Please contact your clinician." in (
        again.content.decode()
    )


def test_an_unanswered_question_re_shows_the_form_with_the_message(cast, link):
    post = dict(PHQ9_POST)
    del post["item_9"]
    response = Browser().post(f"/r/{link[1]}/", post)
    html = response.content.decode()
    assert response.status_code == 400 and "item 9 unanswered" in html
    assert 'value="1" checked' in html
    assert not Administration.objects.exists()


def test_expired_and_unknown_links_get_the_same_plain_page(cast, link):
    row, token = link
    SelfReportLink.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
    )
    expired = Browser().get(f"/r/{token}/")
    unknown = Browser().get("/r/" + "Z" * 43 + "/")
    assert (expired.status_code, unknown.status_code) == (410, 404)
    assert expired.content == unknown.content
    assert b"Patient Health" not in expired.content
    assert AuditEvent.objects.filter(action="self_report.invalid_token").count() == 2


def test_many_failed_lookups_from_one_address_are_throttled(cast, link):
    browser = Browser()
    for _ in range(access.SELF_REPORT_MAX_FAILURES):
        assert browser.get("/r/" + "Q" * 43 + "/").status_code == 404
    # Even the right token is refused from that address until the window passes.
    assert browser.get(f"/r/{link[1]}/").status_code == 429
    assert Browser(REMOTE_ADDR="10.0.0.9").get(f"/r/{link[1]}/").status_code == 200
