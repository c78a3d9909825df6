"""How many SQL statements the note pages cost: a fixed number, whatever the size of the
client's record. Opening a note is the most frequent request, so a statement added to it
(an N+1 over addenda, diagnoses, objectives or co-signatures) fails here, not in
production. The counts include the session and user lookups and the audit event's
transaction (BEGIN, chain head, insert, head update, COMMIT). No timings: counts only."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.clients import actions as client_actions
from psynote.notes import actions as note_actions
from psynote.plans.queries import active_objectives

# The access check is the note by its id, then the user's open grants and the client's
# care team, each a small query read once per request (clients.access.can): one statement
# more than the single compiled care-team join it replaced, and far less work.
NOTE_PAGE = 12
NOTE_EDITOR = 13
SIGN_POST = 19
CHART_PAGE = 17


def _record(cast, days: int = 3):  # type: ignore[no-untyped-def]
    """alice's client with a signed plan, two diagnoses and `days` signed notes, each with
    an addendum."""
    client = cast.client
    client_actions.add_diagnosis(by=cast.alice, client=client, code="F32.1")
    t.make_plan(client, cast.alice, objectives=2)
    notes = []
    for n in range(days):
        session = t.make_session(client, cast.alice, start=time(8 + n, 0),
                                 day=timezone.localdate() - timedelta(days=1))
        ratings = [{"objective_key": o.key, "rating": "progressing"}
                   for o in active_objectives(client)]
        note = t.make_note(session, sign=True, objectives=ratings)
        note_actions.add_addendum(by=cast.alice, note=note, body=f"Fictional addendum {n}.")
        notes.append(note)
    return client, notes


def _draft(cast):  # type: ignore[no-untyped-def]
    session = t.make_session(cast.client, cast.alice)
    return t.make_note(session, no_objective_reason="Fictional: intake review.")


@pytest.mark.parametrize("days", [1, 4])
def test_note_page(cast, login, django_assert_max_num_queries, days):
    _, notes = _record(cast, days)
    browser = login(cast.alice)
    browser.get(f"/notes/{notes[0].pk}/")  # the first request of a session saves it
    with django_assert_max_num_queries(NOTE_PAGE):
        assert browser.get(f"/notes/{notes[-1].pk}/").status_code == 200


def test_note_page_of_a_supervisees_note_read_by_the_supervisor(
        cast, login, django_assert_max_num_queries):
    session = t.make_session(cast.supervisee_client, cast.sue)
    note = t.make_note(session, sign=True)
    browser = login(cast.sam)
    browser.get(f"/notes/{note.pk}/")
    with django_assert_max_num_queries(NOTE_PAGE + 2):  # the supervisor's review box
        assert browser.get(f"/notes/{note.pk}/").status_code == 200


@pytest.mark.parametrize("days", [1, 4])
def test_note_editor(cast, login, django_assert_max_num_queries, days):
    _record(cast, days)
    draft = _draft(cast)
    browser = login(cast.alice)
    browser.get(f"/notes/{draft.pk}/edit/")
    with django_assert_max_num_queries(NOTE_EDITOR):
        assert browser.get(f"/notes/{draft.pk}/edit/").status_code == 200


@pytest.mark.parametrize("days", [1, 4])
def test_sign_post(cast, login, django_assert_max_num_queries, days):
    _record(cast, days)
    draft = _draft(cast)
    browser = login(cast.alice)
    browser.get(f"/notes/{draft.pk}/")
    with django_assert_max_num_queries(SIGN_POST):
        response = browser.post(f"/notes/{draft.pk}/sign/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_signed


@pytest.mark.parametrize("days", [1, 4])
def test_chart_page(cast, login, django_assert_max_num_queries, days):
    client, _ = _record(cast, days)
    browser = login(cast.alice)
    browser.get(f"/clients/{client.pk}/")
    with django_assert_max_num_queries(CHART_PAGE):
        assert browser.get(f"/clients/{client.pk}/").status_code == 200
