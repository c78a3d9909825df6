"""The hand-off summary: what it shows (signed record only, never a psychotherapy note or a
draft), who may read it, the audit, the PDF, and a bounded number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.chart import handoff
from psynote.clients import actions as client_actions
from psynote.clients.models import CareTeamMember
from psynote.measures import actions as measure_actions
from psynote.notes import actions as note_actions
from psynote.plans.queries import active_objectives

MARKER = "MARKER-PSYCHOTHERAPY-HANDOFF"
DRAFT_MARKER = "MARKER-DRAFT-HANDOFF"


def _signed(client, clinician, days_ago, plan_text, **changes):
    session = t.make_session(client, clinician, day=timezone.localdate() - timedelta(days=days_ago))
    objectives = [{"objective_key": o.key, "rating": "progressing"}
                  for o in active_objectives(client)]
    note = t.make_note(session, sections={**t.SOAP, "plan": plan_text}, objectives=objectives,
                       **changes)
    return note_actions.sign_note(by=clinician, note=note, late_reason="Fictional delay.")


@pytest.fixture
def record(cast):
    client, alice = cast.client, cast.alice
    t.make_plan(client, alice)
    for days_ago, plan_text in ((21, "Fictional plan one."), (14, "Fictional plan two."),
                                (7, "Fictional plan three."), (3, "Fictional plan four.")):
        _signed(client, alice, days_ago, plan_text)
    t.make_note(t.make_session(client, alice), sections={"plan": DRAFT_MARKER})
    t.open_psychotherapy_notes(alice)
    note_actions.write_psychotherapy_note(by=alice, client=client, body=MARKER)
    for answers in ({n: 3 for n in range(1, 10)}, {n: 0 for n in range(1, 10)}):
        measure_actions.administer(by=alice, client=client, instrument_key="phq9",
                                   answers=answers)
    t.make_session(client, alice, day=timezone.localdate() + timedelta(days=7),
                   attendance="scheduled")
    return client


def test_the_summary_shows_the_signed_record_and_no_psychotherapy_note(cast, login, record):
    response = login(cast.alice).get(f"/clients/{record.pk}/handoff/")
    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("Current diagnoses", "Treatment plan in force", "Measures", "Risk",
                    "Recent assessments and plans", "Upcoming sessions"):
        assert heading in page
    assert "F41.1" in page
    assert "Reliable improvement" in page  # PHQ-9 27 → 0
    assert "Open risk alert" in page  # item 9 answered above 0
    # The last three signed notes, newest first; not the oldest, never the draft.
    assert "Fictional plan four." in page and "Fictional plan two." in page
    assert "Fictional plan one." not in page
    assert DRAFT_MARKER not in page
    assert MARKER not in page
    event = AuditEvent.objects.get(action="handoff.view")
    assert event.target_id == str(record.pk)
    assert "Fictional" not in event.detail


def test_the_pdf_downloads_audited_without_psychotherapy_notes(cast, login, record):
    response = login(cast.alice).get(f"/clients/{record.pk}/handoff.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="handoff.pdf", target_id=str(record.pk)).exists()
    html = handoff_html(record)
    assert MARKER not in html and DRAFT_MARKER not in html
    assert "Fictional plan four." in html


def handoff_html(client):
    from django.template.loader import render_to_string

    summary = handoff.summary(client, today=timezone.localdate())
    return render_to_string("chart/handoff_pdf.html", {
        "summary": summary, "client": client, "practice": client.practice,
        "generated_at": timezone.localtime()})


def test_others_are_refused(cast, login, record):
    for user in (cast.bob, cast.fred, cast.ada):
        assert login(user).get(f"/clients/{record.pk}/handoff/").status_code == 404


def test_query_count_does_not_grow_with_the_record(cast, record, django_assert_max_num_queries):
    for days_ago in range(30, 40):
        _signed(record, cast.alice, days_ago, "Fictional older plan.",
                risk={"flagged": True, "level": "low", "protective_factors": "Fictional."})
    with django_assert_max_num_queries(10):
        summary = handoff.summary(record, today=timezone.localdate())
        assert summary.signed_notes == 14


def test_the_chart_offers_it_to_a_clinician_who_took_over(cast, login, record):
    chart = f"/clients/{record.pk}/"
    assert "Read the hand-off summary" not in login(cast.alice).get(chart).content.decode()
    client_actions.add_care_team_member(by=cast.ada, client=record, user=cast.bob)
    # The client was in the practice before bob joined the care team.
    type(record).objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(days=60))
    page = login(cast.bob).get(chart).content.decode()
    assert "Read the hand-off summary" in page
    CareTeamMember.objects.filter(client=record, user=cast.bob).update(
        added_at=timezone.now() - timedelta(days=90))
    assert "Read the hand-off summary" not in login(cast.bob).get(chart).content.decode()
