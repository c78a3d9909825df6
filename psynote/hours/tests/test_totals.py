"""Direct client contact is counted from the supervisee's attended sessions, and from
nothing else; logged entries count once confirmed; targets are the supervisee's."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from psynote import testing as t
from psynote.hours import actions
from psynote.hours.totals import licence_type_of, totals
from psynote.visits import actions as visit_actions


def _line(found, name):
    return next(line for line in found.lines if line.category.name == name)


def test_direct_contact_counts_only_attended_sessions_in_the_period(cast):
    today = timezone.localdate()
    day = today - timedelta(days=3)
    client = cast.supervisee_client
    t.make_session(client, cast.sue, day=day, minutes=50)
    t.make_session(client, cast.sue, day=day, minutes=45)
    for attendance in ("no_show", "late_cancelled", "cancelled"):
        t.make_session(client, cast.sue, day=day, minutes=50, attendance=attendance)
    t.make_session(client, cast.sue, day=today + timedelta(days=2), minutes=50,
                   attendance="scheduled")
    t.make_session(client, cast.sue, day=day - timedelta(days=40), minutes=50)  # before
    t.make_session(cast.client, cast.alice, day=day, minutes=50)  # someone else's session
    visit_actions.create_session(by=cast.sue, client=client, clinician=cast.sue, date=day,
                                 start_time=None, end_time=None, attendance="attended")

    found = totals(cast.sue, day - timedelta(days=7), today + timedelta(days=7))

    direct = _line(found, "Direct client contact")
    assert (direct.minutes, direct.sessions, direct.untimed_sessions) == (95, 3, 1)
    assert direct.hours == "1.58"
    assert found.total_minutes == 95


def test_a_session_crossing_midnight_counts_its_real_length(cast):
    from datetime import time

    day = timezone.localdate() - timedelta(days=2)
    visit_actions.create_session(by=cast.sue, client=cast.supervisee_client, clinician=cast.sue,
                                 date=day, start_time=time(23, 30), end_time=time(0, 30),
                                 attendance="attended")
    assert _line(totals(cast.sue, day, day), "Direct client contact").minutes == 60


def test_logged_hours_count_once_confirmed(cast, log):
    confirmed = log(90)
    log(30, category="Group supervision")
    actions.confirm_entry(by=cast.sam, entry=confirmed)
    today = timezone.localdate()

    found = totals(cast.sue, today - timedelta(days=30), today)

    individual = _line(found, "Individual supervision")
    group = _line(found, "Group supervision")
    assert (individual.minutes, individual.pending_minutes) == (90, 0)
    assert (group.minutes, group.pending_minutes) == (0, 30)
    assert found.total_minutes == 90


def test_targets_are_set_per_licence_and_shown_against_hours(cast, log):
    licence_type = licence_type_of(cast.sue)
    individual = licence_type.categories.get(name="Individual supervision")
    direct = licence_type.categories.get(name="Direct client contact")
    actions.set_targets(by=cast.sue, owner=cast.sue, licence_type=licence_type,
                        targets={individual.pk: Decimal("2"), direct.pk: None})
    actions.confirm_entry(by=cast.sam, entry=log(60))
    today = timezone.localdate()

    line = _line(totals(cast.sue, today - timedelta(days=30), today), "Individual supervision")

    assert line.target == Decimal("2.0")
    assert line.percent == 50
    assert _line(totals(cast.sue, today, today), "Direct client contact").target is None


def test_the_admin_configures_categories_per_licence_type(cast):
    lpc = actions.create_licence_type(by=cast.ada, name="LPC, Fictional State")
    names = list(lpc.categories.values_list("name", "source"))
    assert names == [("Direct client contact", "sessions"), ("Individual supervision", "logged"),
                     ("Group supervision", "logged"), ("Other", "logged")]
    actions.save_category(by=cast.ada, licence_type=lpc, category=None, name="Assessment")
    other = lpc.categories.get(name="Other")
    actions.save_category(by=cast.ada, licence_type=lpc, category=other, name="Other",
                          active=False)
    actions.set_targets(by=cast.ada, owner=cast.sue, licence_type=lpc, targets={})
    today = timezone.localdate()

    shown = [line.category.name for line in totals(cast.sue, today, today).lines]

    assert shown == ["Direct client contact", "Individual supervision", "Group supervision",
                     "Assessment"]


def test_totals_pages_and_api(cast, login, log):
    actions.confirm_entry(by=cast.sam, entry=log(120))
    page = login(cast.sue).get("/hours/")
    assert page.status_code == 200
    assert "2.00" in page.content.decode()
    answer = login(cast.sue).get("/api/v1/hours/totals").json()
    individual = next(c for c in answer["categories"] if c["category"] == "Individual supervision")
    assert individual["minutes"] == 120
    bad = login(cast.sue).get("/hours/?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 400
    assert "comes before its last day" in bad.content.decode()
    assert login(cast.sue).get("/api/v1/hours/totals?start=2026-05-01&end=2026-04-01"
                               ).status_code == 400
    assert login(cast.sue).get("/hours/?start=not-a-date&end=2026-04-01").status_code == 400
    supervised = login(cast.sam).get(f"/api/v1/hours/supervisees/{cast.sue.pk}/totals").json()
    assert supervised["total_minutes"] == 120
