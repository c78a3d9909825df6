"""The parts of the client's measures page built from score rows read once (`score_rows`)
give what the model instances gave: the same rows, table, charts, change from baseline and
due dates for a realistic record; and the blank forms laid out once are the template's own
bytes. The pages' query counts are in test_page_queries.py."""

import dataclasses
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from psynote import testing as t
from psynote.measures import actions, charts, library, outcomes, score_rows, tables
from psynote.measures.forms import LinkForm, ScheduleForm, fields_html
from psynote.measures.models import Administration, MeasureSchedule
from psynote.visits.models import Session

CALM = {n: 1 for n in range(1, 9)} | {9: 0}


def give(client, user, key, answers, days_ago=0, **extra):
    return actions.administer(
        by=user, client=client, instrument_key=key, answers=answers,
        administered_at=timezone.now() - timedelta(days=days_ago, hours=days_ago % 5), **extra,
    )


@pytest.fixture
def record(cast):
    """Twelve weeks of PHQ-9 (one with a critical answer), GAD-7 by
    self-report, WHO-5 as a percentage, PCL-5 with its provisional diagnosis, AUDIT-C
    screens; an interval and a before-each-session schedule, and a session booked."""
    client, alice = cast.client, cast.alice
    for week in range(12):
        answers = {n: (week + n) % 4 for n in range(1, 10)}
        answers[9] = 2 if week == 5 else 0
        give(client, alice, "phq9", answers, days_ago=7 * (12 - week))
        give(client, alice, "gad7", {n: week % 4 for n in range(1, 8)},
             days_ago=7 * (12 - week) + 1, source=Administration.Source.SELF_REPORT)
    for days_ago, value in ((60, 2), (30, 3), (2, 4)):
        give(client, alice, "who5", {n: value for n in range(1, 6)}, days_ago=days_ago)
    give(client, alice, "pcl5", {n: 3 for n in range(1, 21)}, days_ago=20)
    give(client, alice, "pcl5", {n: 1 for n in range(1, 21)}, days_ago=3)
    give(client, alice, "auditc", {1: 4, 2: 4, 3: 4}, days_ago=10)
    actions.set_schedule(by=alice, client=client, instrument_key="phq9", every_n_days=14)
    actions.set_schedule(by=alice, client=client, instrument_key="gad7",
                         before_each_session=True)
    actions.set_schedule(by=alice, client=client, instrument_key="who5", every_n_days=7)
    t.make_session(client, alice, day=timezone.localdate() + timedelta(days=3),
                   attendance=Session.Attendance.SCHEDULED)
    return client


def instances(client):
    return list(client.administrations.chronological())


def test_score_rows_are_the_administrations_as_read_through_the_model(record):
    rows = score_rows.read(record)
    models = instances(record)
    assert [
        (r.pk, r.instrument, r.administered_at, r.source, r.total, r.band, r.flags, r.reported)
        for r in rows
    ] == [
        (a.pk, a.instrument, a.administered_at, a.source, a.total, a.band, a.flags,
         outcomes.reported(a))
        for a in models
    ]
    assert len(rows) == 30 and any(r.flags.get("critical_items") for r in rows)


def test_tables_charts_and_change_are_the_ones_the_models_give(record):
    found = outcomes.histories(record)
    models = instances(record)
    assert [h.instrument.key for h in found] == [
        key for key in library.load_all() if key in {a.instrument for a in models}
    ]
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        with timezone.override(zone):
            for h in found:
                own = [a for a in models if a.instrument == h.instrument.key]
                assert h.table_rows == tables.administration_rows(own[::-1])
                points = [(a.administered_at, outcomes.reported(a)) for a in own]
                chart_id = f"trend-{h.instrument.key}"
                assert h.chart() == charts.trend_chart(h.instrument, points, chart_id=chart_id)
                expected = (
                    outcomes.change_from_baseline(h.instrument, own[0], own[-1])
                    if len(own) > 1 else None
                )
                assert h.change == expected
    who5 = next(h for h in found if h.instrument.key == "who5")
    assert [a.reported for a in who5.administrations] == [40, 60, 80]


def test_a_chart_frame_drawn_once_still_follows_the_size_and_the_instrument(record):
    phq9 = next(h for h in outcomes.histories(record) if h.instrument.key == "phq9")
    points = [(a.administered_at, a.reported) for a in phq9.administrations]
    small = charts.trend_chart(phq9.instrument, points, width=400, height=200)
    assert charts.trend_chart(phq9.instrument, points, width=400, height=200) == small
    assert charts.trend_chart(phq9.instrument, points) != small
    assert 'viewBox="0 0 400 200"' in small and "Moderately severe" in small
    gad7 = charts.trend_chart(library.get("gad7"), points[:3], width=400, height=200)
    assert "Moderately severe" not in gad7


def test_a_chart_frame_is_redrawn_for_another_instrument_of_the_same_key():
    phq9 = library.get("phq9")
    changed = dataclasses.replace(phq9, bands=phq9.bands[:2])
    assert charts.trend_chart(changed, []).count("<rect") == 2
    assert charts.trend_chart(phq9, []).count("<rect") == 5


def test_due_measures_from_schedules_read_once_are_the_ones_read_per_client(record):
    by_client = outcomes.due_measures([record])[record.pk]
    latest = {h.instrument.key: h.administrations[-1].administered_at
              for h in outcomes.histories(record)}
    active = list(MeasureSchedule.objects.filter(client=record, active=True))
    for schedule in active:
        schedule.last_at = latest.get(schedule.instrument)
    assert outcomes.due_measures(schedules=active)[record.pk] == by_client
    assert {d.instrument.key for d in by_client} == {"phq9", "gad7", "who5"}


FIELDS_LOOP = '{% for field in form %}{% include "accounts/_field.html" %}{% endfor %}'


def test_blank_forms_laid_out_once_are_the_template_loops_bytes():
    schedule_initial = {"rhythm": "interval", "every_n_days": 14}
    for form in (LinkForm(), ScheduleForm(initial=schedule_initial)):
        expected = Template(FIELDS_LOOP).render(Context({"form": form}))
        assert fields_html(form) == expected
        assert fields_html(type(form)(initial=form.initial)) == expected  # the cached one
    bound = ScheduleForm({"rhythm": "interval", "every_n_days": ""})
    assert not bound.is_valid()
    html = fields_html(bound)
    assert html == Template(FIELDS_LOOP).render(Context({"form": bound}))
    assert "Give the number of days between administrations." in html


def test_the_measures_page_shows_every_part_of_a_realistic_record(cast, login, record):
    html = login(cast.alice).get(f"/clients/{record.pk}/measures/").content.decode()
    assert html.count("<svg") == 5 and html.count('class="nowrap"') == 30
    assert "Self-report link" in html
    assert "Provisional PTSD: cut-off" in html and "Positive screen" in html
    assert "Open risk alert" in html and "before each session" in html
    assert 'name="every_n_days"' in html and 'value="14"' in html and 'name="days"' in html
