"""How many SQL statements the busiest list pages cost: the client chart, the caseload and
the day ("today"). Each is run with a small record and a larger one under the same bound,
so a statement per row (an N+1 over sessions, notes, clients or alerts) fails here. The
counts include the session and user lookups and the audit event's transaction. No
timings: counts only."""

import re
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.clients import actions as client_actions
from psynote.measures import actions as measure_actions
from psynote.notes import actions as note_actions
from psynote.supervision import actions as supervision_actions
from psynote.supervision.models import Mode
from psynote.visits.models import Session

# The timeline's clinicians are one query of their own, shared by all rows; a supervisor
# reading a supervisee's chart adds who they supervise and their own grants.
CHART_PAGE = 15
CHART_PAGE_SUPERVISOR = 17
CHART_PAGE_FRONT_DESK = 9
CASELOAD = 13
CASELOAD_SUPERVISOR = 16
TODAY = 19
TODAY_WITH_RETURNED_NOTES = TODAY + 1  # whether any review is returned, then the listing
TODAY_SUPERVISOR = 12


def _timeline(client, clinician, sessions: int) -> None:
    """`sessions` past sessions: signed notes with an addendum, drafts, one without a
    note, and a scheduled one ahead."""
    today = timezone.localdate()
    client_actions.add_diagnosis(by=clinician, client=client, code="F32.1")
    for n in range(sessions):
        session = t.make_session(client, clinician, day=today - timedelta(days=1),
                                 start=time(7 + n % 12, 0))
        note = t.make_note(session, sign=n % 2 == 0)
        if note.is_signed:
            note_actions.add_addendum(by=clinician, note=note, body=f"Fictional {n}.")
    t.make_session(client, clinician, day=today - timedelta(days=2))
    t.make_session(client, clinician, day=today + timedelta(days=1),
                   attendance=Session.Attendance.SCHEDULED)


def _busy_client(clinician, number: int):  # type: ignore[no-untyped-def]
    """A client with something in every column of the caseload and every section of the
    day: sessions today and tomorrow, one without a note, a draft, a signed note, a
    measure due and an open risk alert."""
    client = t.make_client(clinician, first_name=f"Busy{number}", last_name="Testclient")
    today = timezone.localdate()
    for day, attendance in ((today, "scheduled"), (today + timedelta(days=1), "scheduled"),
                            (today - timedelta(days=3), "attended")):
        t.make_session(client, clinician, day=day, attendance=attendance)
    t.make_note(t.make_session(client, clinician, day=today - timedelta(days=2)))
    t.make_note(t.make_session(client, clinician, day=today - timedelta(days=1)), sign=True)
    measure_actions.set_schedule(by=clinician, client=client, instrument_key="gad7",
                                 every_n_days=7)
    measure_actions.administer(by=clinician, client=client, instrument_key="phq9",
                               answers={n: 1 for n in range(1, 10)})
    return client


def _count(page: str, heading_id: str) -> int:
    found = re.search(rf'id="{heading_id}">[^<]*<span class="count">\((\d+)\)', page)
    assert found, heading_id
    return int(found.group(1))


def _get(browser, url: str, limit: int, assert_max) -> str:  # type: ignore[no-untyped-def]
    browser.get(url)  # the first request of a session saves it
    with assert_max(limit):
        response = browser.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("sessions", [1, 8])
def test_chart_page(cast, login, django_assert_max_num_queries, sessions):
    _timeline(cast.client, cast.alice, sessions)
    page = _get(login(cast.alice), reverse("client_chart", args=[cast.client.pk]),
                CHART_PAGE, django_assert_max_num_queries)
    assert page.count('data-note-status="') == sessions + 2


@pytest.mark.parametrize("sessions", [1, 8])
def test_chart_page_of_a_supervisees_client(cast, login, django_assert_max_num_queries,
                                            sessions):
    _timeline(cast.supervisee_client, cast.sue, sessions)
    page = _get(login(cast.sam), reverse("client_chart", args=[cast.supervisee_client.pk]),
                CHART_PAGE_SUPERVISOR, django_assert_max_num_queries)
    assert page.count('data-note-status="') == sessions + 2


@pytest.mark.parametrize("sessions", [1, 8])
def test_chart_page_for_front_desk(cast, login, django_assert_max_num_queries, sessions):
    _timeline(cast.client, cast.alice, sessions)
    page = _get(login(cast.fred), reverse("client_chart", args=[cast.client.pk]),
                CHART_PAGE_FRONT_DESK, django_assert_max_num_queries)
    assert page.count('href="/sessions/') == sessions + 2
    assert "data-note-status" not in page


@pytest.mark.parametrize("clients", [1, 6])
def test_caseload(cast, login, django_assert_max_num_queries, clients):
    for number in range(clients):
        _busy_client(cast.alice, number)
    page = _get(login(cast.alice), reverse("caseload"), CASELOAD,
                django_assert_max_num_queries)
    assert page.count("Busy") == clients


@pytest.mark.parametrize("clients", [1, 6])
def test_caseload_of_a_supervisor(cast, login, django_assert_max_num_queries, clients):
    for number in range(clients):
        _busy_client(cast.sue, number)
    _busy_client(cast.sam, 99)
    page = _get(login(cast.sam), reverse("caseload"), CASELOAD_SUPERVISOR,
                django_assert_max_num_queries)
    assert page.count("Busy") == clients + 1


@pytest.mark.parametrize("clients", [1, 6])
def test_today(cast, login, django_assert_max_num_queries, clients):
    for number in range(clients):
        _busy_client(cast.alice, number)
    page = _get(login(cast.alice), reverse("dashboard"), TODAY,
                django_assert_max_num_queries)
    for section in ("today", "tomorrow", "needs-note", "drafts", "alerts"):
        assert _count(page, f"dash-{section}") == clients


@pytest.mark.parametrize("notes", [1, 4])
def test_today_with_notes_in_review(cast, login, django_assert_max_num_queries, notes):
    """The supervisor's notes to review, and the supervisee's notes returned to them."""
    supervision_actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue,
                                        mode=Mode.APPROVE_BEFORE_RECORD)
    for n in range(2 * notes):
        note = t.make_note(t.make_session(cast.supervisee_client, cast.sue,
                                          start=time(7 + n, 0)))
        supervision_actions.mark_ready(by=cast.sue, note=note)
        if n % 2:
            supervision_actions.return_note(by=cast.sam, note=note,
                                            comments=[("assessment", "Fictional.")])
    sam = _get(login(cast.sam), reverse("dashboard"), TODAY_SUPERVISOR,
               django_assert_max_num_queries)
    assert _count(sam, "dash-review") == notes
    sue = _get(login(cast.sue), reverse("dashboard"), TODAY_WITH_RETURNED_NOTES,
               django_assert_max_num_queries)
    # Returned to her, and not also among her drafts (the others, still ready for review).
    assert (_count(sue, "dash-returned"), _count(sue, "dash-drafts")) == (notes, notes)
