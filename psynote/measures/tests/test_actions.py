"""Administering, risk alerts, schedules and what is due: the actions and their audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.measures import actions, outcomes
from psynote.measures.models import Administration, MeasureSchedule, RiskAlert

CALM = {n: 0 for n in range(1, 10)}
ITEM_9 = {n: 1 for n in range(1, 9)} | {9: 2}


def counts() -> tuple[int, int, int]:
    return Administration.objects.count(), RiskAlert.objects.count(), AuditEvent.objects.count()


def test_administer_scores_stores_and_audits(cast):
    a = actions.administer(
        by=cast.alice,
        client=cast.client,
        instrument_key="phq9",
        answers={n: 1 for n in range(1, 9)} | {9: 0},
    )
    a.refresh_from_db()
    assert (a.total, a.band, a.source, a.created_by) == (8, "Mild", "in_session", cast.alice)
    event = AuditEvent.objects.get(action="measure.administer")
    assert event.client_id == str(cast.client.pk) and '"total"' not in event.detail
    assert not RiskAlert.objects.exists()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({n: 0 for n in range(1, 9)}, "item 9 unanswered"),
        (CALM | {3: 4}, "4 is not an allowed answer"),
        (CALM | {11: 0}, "has no item 11"),
        (CALM | {2: "2"}, "must be a whole number"),
    ],
)
def test_answers_that_do_not_score_are_refused_and_nothing_is_written(cast, answers, message):
    before = counts()
    with pytest.raises(ValidationError, match=message):
        actions.administer(
            by=cast.alice, client=cast.client, instrument_key="phq9", answers=answers
        )
    assert counts() == before


def test_unknown_instrument_and_future_date_are_refused(cast):
    before = counts()
    with pytest.raises(ValidationError, match="no instrument 'bdi2'"):
        actions.administer(by=cast.alice, client=cast.client, instrument_key="bdi2", answers={})
    with pytest.raises(ValidationError, match="in the future"):
        actions.administer(
            by=cast.alice,
            client=cast.client,
            instrument_key="phq9",
            answers=CALM,
            administered_at=timezone.now() + timedelta(days=1),
        )
    assert counts() == before


def test_item_9_above_zero_opens_a_risk_alert_naming_it(cast):
    a = actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=ITEM_9)
    alert = RiskAlert.objects.get()
    assert alert.administration == a and alert.is_open
    assert alert.reasons()[0].startswith("PHQ-9 item 9 was answered above 0 (2, More than half")
    assert AuditEvent.objects.filter(action="risk_alert.open", target_id=str(alert.pk)).exists()


def test_resolving_an_alert_seals_the_note_and_audits_without_it(cast):
    actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=ITEM_9)
    alert = RiskAlert.objects.get()
    actions.resolve_alert(
        by=cast.alice,
        alert=alert,
        resolution="assessed",
        note="Passive ideation, low risk, safety plan reviewed.",
    )
    alert.refresh_from_db()
    assert not alert.is_open and alert.resolved_by == cast.alice
    assert b"Passive" not in bytes(alert.facts_ct)
    assert alert.resolution_note().startswith("Passive ideation")
    event = AuditEvent.objects.get(action="risk_alert.resolve")
    assert "Passive" not in event.detail
    with pytest.raises(ValidationError, match="already resolved"):
        actions.resolve_alert(by=cast.alice, alert=alert, resolution="assessed", note="Again.")


def test_resolving_needs_a_note_and_a_known_resolution(cast):
    actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=ITEM_9)
    alert = RiskAlert.objects.get()
    with pytest.raises(ValidationError, match="short note"):
        actions.resolve_alert(by=cast.alice, alert=alert, resolution="assessed", note="  ")
    with pytest.raises(ValidationError, match="how the alert was resolved"):
        actions.resolve_alert(by=cast.alice, alert=alert, resolution="ignored", note="x")
    alert.refresh_from_db()
    assert alert.is_open


def test_a_half_resolved_alert_is_refused_by_the_database(cast):
    from django.db import IntegrityError, transaction

    actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=ITEM_9)
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAlert.objects.update(resolved_at=timezone.now())


def test_a_new_schedule_replaces_the_active_one(cast):
    actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="phq9", every_n_days=14)
    actions.set_schedule(
        by=cast.alice, client=cast.client, instrument_key="phq9", before_each_session=True
    )
    active = MeasureSchedule.objects.get(active=True)
    assert active.before_each_session and MeasureSchedule.objects.count() == 2
    with pytest.raises(ValidationError, match="number of days"):
        actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="gad7")
    actions.stop_schedule(by=cast.alice, client=cast.client, instrument_key="phq9")
    assert not MeasureSchedule.objects.filter(active=True).exists()


def test_interval_schedule_is_due_n_days_after_the_latest_and_overdue_after(cast):
    actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="phq9", every_n_days=14)
    actions.administer(
        by=cast.alice,
        client=cast.client,
        instrument_key="phq9",
        answers=CALM,
        administered_at=timezone.now() - timedelta(days=20),
    )
    [due] = outcomes.due_measures([cast.client])[cast.client.pk]
    assert due.instrument.key == "phq9"
    assert due.due_date == timezone.localdate() - timedelta(days=6)
    assert due.overdue
    actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9", answers=CALM)
    [due] = outcomes.due_measures([cast.client])[cast.client.pk]
    assert due.due_date == timezone.localdate() + timedelta(days=14) and not due.overdue


def test_before_each_session_is_due_at_the_first_session_after_the_latest(cast):
    today = timezone.localdate()
    actions.set_schedule(
        by=cast.alice, client=cast.client, instrument_key="gad7", before_each_session=True
    )
    assert cast.client.pk not in outcomes.due_measures([cast.client])  # nothing booked
    t.make_session(cast.client, cast.alice, day=today + timedelta(days=3), attendance="scheduled")
    [due] = outcomes.due_measures([cast.client])[cast.client.pk]
    assert due.due_date == today + timedelta(days=3) and not due.overdue


def test_due_measures_for_many_clients_costs_two_queries(cast, django_assert_num_queries):
    clients = [t.make_client(cast.alice, last_name=f"Many{i}", diagnosis=None) for i in range(6)]
    for client in clients:
        actions.set_schedule(
            by=cast.alice, client=client, instrument_key="phq9", before_each_session=True
        )
        t.make_session(client, cast.alice, day=timezone.localdate(), attendance="scheduled")
    with django_assert_num_queries(2):
        due = outcomes.due_measures(clients)
    assert len(due) == 6


def test_actions_refuse_a_client_of_another_practice(cast):
    other = t.make_practice("Another Fictional Practice")
    stranger = t.make_user(other, "zed")
    with pytest.raises(ValidationError, match="another practice"):
        actions.administer(by=stranger, client=cast.client, instrument_key="phq9", answers=CALM)
