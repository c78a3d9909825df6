from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.notes import actions as note_actions

RISK = {
    "risk": {
        "flagged": True,
        "si": "passive",
        "level": "low",
        "protective_factors": "Fictional supportive family.",
    }
}


def _signed(session, **changes):
    """A signed note; sessions over 72 h old need the late-entry reason."""
    note = t.make_note(session, **changes)
    return note_actions.sign_note(by=session.clinician, note=note, late_reason="Fictional.")


def _row(page, name):
    """The caseload table row of the client whose last name is `name`."""
    start = page.index(name)
    return page[start : page.index("</tr>", start)]


def test_caseload_lists_my_clients_with_their_primary_diagnosis(cast, login):
    response = login(cast.alice).get("/caseload/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fictional" in page and "F41.1" in page
    assert "Imaginary" not in page and "Madeup" not in page
    assert AuditEvent.objects.filter(action="caseload.view", actor_id=str(cast.alice.pk)).exists()


def test_caseload_counts_sessions_that_need_a_note_and_unsigned_drafts(cast, login):
    today = timezone.localdate()
    t.make_session(cast.client, cast.alice, day=today - timedelta(days=1))
    t.make_note(t.make_session(cast.client, cast.alice, day=today - timedelta(days=2)))
    _signed(t.make_session(cast.client, cast.alice, day=today - timedelta(days=3)))
    t.make_session(cast.client, cast.alice, day=today - timedelta(days=4), attendance="no_show")
    row = _row(login(cast.alice).get("/caseload/").content.decode(), "Fictional")
    # The draft's session counts once, as a draft (issue 11).
    assert "1 needs a note" in row and "1 unsigned draft" in row
    assert "2 sessions still need a signed note" in login(cast.alice).get(
        "/caseload/").content.decode()
    assert "Risk flagged" not in row


def test_caseload_flags_risk_from_the_latest_signed_note(cast, login):
    today = timezone.localdate()
    _signed(t.make_session(cast.client, cast.alice, day=today - timedelta(days=7)))
    t.make_note(
        t.make_session(cast.client, cast.alice, day=today - timedelta(days=1)), sign=True, **RISK
    )
    row = _row(login(cast.alice).get("/caseload/").content.decode(), "Fictional")
    assert "Risk flagged" in row


def test_risk_flag_clears_when_a_later_signed_note_has_none(cast, login):
    today = timezone.localdate()
    _signed(t.make_session(cast.client, cast.alice, day=today - timedelta(days=7)), **RISK)
    t.make_note(t.make_session(cast.client, cast.alice, day=today - timedelta(days=1)), sign=True)
    row = _row(login(cast.alice).get("/caseload/").content.decode(), "Fictional")
    assert "Risk flagged" not in row


def test_caseload_shows_next_and_last_session(cast, login):
    today = timezone.localdate()
    last = today - timedelta(days=2)
    upcoming = today + timedelta(days=5)
    t.make_session(cast.client, cast.alice, day=last)
    t.make_session(cast.client, cast.alice, day=upcoming, attendance="scheduled")
    row = _row(login(cast.alice).get("/caseload/").content.decode(), "Fictional")
    assert upcoming.isoformat() in row and last.isoformat() in row


def test_supervisor_sees_supervisees_clients_read_only_section(cast, login):
    t.make_session(cast.supervisee_client, cast.sue)
    page = login(cast.sam).get("/caseload/").content.decode()
    section = page[page.index("Supervisees' clients") :]
    assert "Madeup" in section and cast.sue.signature_name in section
    assert "1 needs a note" in section
    assert "Fictional" not in page and "Imaginary" not in page


def test_clinician_has_no_supervisees_section(cast, login):
    assert "Supervisees' clients" not in login(cast.alice).get("/caseload/").content.decode()


def test_empty_caseload_says_what_to_do(cast, login):
    fresh = t.make_user(cast.practice, "newbie")
    page = login(fresh).get("/caseload/").content.decode()
    assert "No active clients on your caseload yet" in page


def test_non_clinical_roles_have_no_caseload(cast, login):
    for user in (cast.ada, cast.fred, cast.pria):
        assert login(user).get("/caseload/").status_code == 404


def _caseload_queries(browser):
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/caseload/").status_code == 200
    return len(queries)


def _busy_client(clinician, number):
    client = t.make_client(clinician, first_name=f"Load{number}", last_name="Testclient")
    today = timezone.localdate()
    t.make_note(t.make_session(client, clinician, day=today - timedelta(days=1)), sign=True)
    t.make_note(t.make_session(client, clinician, day=today - timedelta(days=2)))
    t.make_session(client, clinician, day=today + timedelta(days=3), attendance="scheduled")
    return client


def test_caseload_query_count_does_not_grow_with_the_number_of_clients(cast, login):
    browser = login(cast.sam)
    browser.get("/caseload/")  # the first request records the session's activity
    for number in range(2):
        _busy_client(cast.sue, number)
    few = _caseload_queries(browser)
    for number in range(2, 8):
        _busy_client(cast.sue, number)
    many = _caseload_queries(browser)
    assert many == few
