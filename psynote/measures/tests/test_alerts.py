"""A critical answer (PHQ-9 item 9 above 0) opens a risk alert that shows on the chart and
the caseload and holds every progress note to a completed risk assessment until resolved."""

import pytest
from django.core.exceptions import ValidationError

from psynote import testing as t
from psynote.measures import actions
from psynote.measures.models import RiskAlert
from psynote.notes import actions as note_actions

ITEM_9 = {n: 0 for n in range(1, 9)} | {9: 1}
RISK_BLOCK = {
    "risk": {"level": "low", "protective_factors": "Fictional supportive sibling."},
}


@pytest.fixture
def alert(cast):
    actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=ITEM_9)
    return RiskAlert.objects.get()


def test_the_chart_shows_an_open_alert_with_its_reason(cast, alert, login):
    html = login(cast.alice).get(f"/clients/{cast.client.pk}/").content.decode()
    assert "Open risk alert" in html
    assert "PHQ-9 item 9 was answered above 0 (1, Several days)" in html
    assert f"/clients/{cast.client.pk}/measures/" in html
    assert "PHQ-9 1" in html  # the latest-scores summary


def test_front_desk_sees_no_alert_on_the_chart(cast, alert, login):
    html = login(cast.fred).get(f"/clients/{cast.client.pk}/").content.decode()
    assert "risk alert" not in html.lower() and "PHQ-9" not in html


def test_the_caseload_badges_the_client_and_links_to_outcomes(cast, alert, login):
    html = login(cast.alice).get("/caseload/").content.decode()
    row = html[html.index("Fictional") : html.index("</tr>", html.index("Fictional"))]
    assert "Risk alert" in row
    assert "/caseload/outcomes/" in html


def test_a_note_cannot_be_signed_without_the_risk_block_while_the_alert_is_open(cast, alert):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError) as caught:
        note_actions.sign_note(by=cast.alice, note=note)
    text = " ".join(caught.value.messages)
    assert "PHQ-9 item 9 was answered above 0" in text and "complete the risk assessment" in text
    assert "set the risk level" in text and "record protective factors" in text


def test_a_moderate_risk_level_also_needs_the_safety_plan(cast, alert):
    note = t.make_note(
        t.make_session(cast.client, cast.alice),
        risk={"level": "moderate", "protective_factors": "Fictional pet."},
    )
    with pytest.raises(ValidationError, match="record the safety plan"):
        note_actions.sign_note(by=cast.alice, note=note)


def test_a_completed_risk_block_lets_the_note_be_signed(cast, alert):
    note = t.make_note(t.make_session(cast.client, cast.alice), **RISK_BLOCK)
    assert note_actions.sign_note(by=cast.alice, note=note).is_signed


def test_once_resolved_notes_sign_without_the_risk_block(cast, alert, login):
    actions.resolve_alert(
        by=cast.alice,
        alert=alert,
        resolution="assessed",
        note="Fictional: passive thoughts, low risk.",
    )
    note = t.make_note(t.make_session(cast.client, cast.alice))
    assert note_actions.sign_note(by=cast.alice, note=note).is_signed
    html = login(cast.alice).get(f"/clients/{cast.client.pk}/").content.decode()
    assert "Open risk alert" not in html


def test_the_note_editor_opens_the_risk_block_while_an_alert_is_open(cast, alert, login):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    html = login(cast.alice).get(f"/notes/{note.pk}/edit/").content.decode()
    assert 'data-always-show="1"' in html


def test_the_sign_page_names_the_alert(cast, alert, login):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    html = login(cast.alice).get(f"/notes/{note.pk}/sign/").content.decode()
    assert "PHQ-9 item 9 was answered above 0" in html


def test_an_alert_on_another_client_does_not_hold_this_clients_notes(cast):
    actions.administer(by=cast.bob, client=cast.other_client, instrument_key="phq9", answers=ITEM_9)
    note = t.make_note(t.make_session(cast.client, cast.alice))
    assert note_actions.sign_note(by=cast.alice, note=note).is_signed
