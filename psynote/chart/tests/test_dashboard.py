"""The clinician's day: each section lists what it should, links to where it is resolved,
counts each thing once, and the page's queries do not grow with the number of rows."""

import re
from datetime import time, timedelta

from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.chart import dashboard
from psynote.measures import actions as measure_actions
from psynote.measures.models import MeasureSchedule
from psynote.plans.models import PlanVersion
from psynote.records import actions as record_actions
from psynote.visits.models import Session


def _count(page: str, heading_id: str) -> int:
    found = re.search(rf'id="{heading_id}">[^<]*<span class="count">\((\d+)\)', page)
    assert found, heading_id
    return int(found.group(1))


def _overdue_plan(client, clinician) -> None:
    """Signing refuses a past review date: sign the row directly, as time would have
    made it overdue (as plans/tests/test_views.py does)."""
    version = t.make_plan(client, clinician, sign=False)
    PlanVersion.objects.filter(pk=version.pk).update(
        review_due=timezone.localdate() - timedelta(days=1))
    version = PlanVersion.objects.get(pk=version.pk)
    version.signed_at, version.signed_by, version.signer_name = (
        timezone.now(), clinician, clinician.signature_name)
    version.content_hash = version.compute_hash()
    version.save()


def _everything_owed(client, clinician) -> dict[str, object]:
    """One of each thing the day lists, for `client`."""
    today = timezone.localdate()
    sessions = {
        "today": t.make_session(client, clinician, day=today, start=time(16, 0),
                                attendance=Session.Attendance.SCHEDULED),
        "tomorrow": t.make_session(client, clinician, day=today + timedelta(days=1),
                                   attendance=Session.Attendance.SCHEDULED),
        "no_note": t.make_session(client, clinician, day=today - timedelta(days=2)),
        "draft": t.make_session(client, clinician, day=today - timedelta(days=3)),
        "signed": t.make_session(client, clinician, day=today - timedelta(days=1)),
    }
    draft = t.make_note(sessions["draft"])
    t.make_note(sessions["signed"], sign=True)
    _overdue_plan(client, clinician)
    measure_actions.set_schedule(by=clinician, client=client, instrument_key="gad7",
                                 every_n_days=7)
    MeasureSchedule.objects.filter(client=client).update(
        created_at=timezone.now() - timedelta(days=10))
    alert = measure_actions.administer(by=clinician, client=client, instrument_key="phq9",
                                       answers={n: 1 for n in range(1, 10)}).risk_alert
    request = record_actions.record_access_request(
        by=clinician, client=client, requested_on=today - timedelta(days=40))
    return {**sessions, "draft_note": draft, "alert": alert, "request": request}


def test_each_section_lists_and_links_what_is_owed_once(cast, login):
    owed = _everything_owed(cast.client, cast.alice)
    response = login(cast.alice).get(reverse("dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    counts = {key: _count(page, f"dash-{key}") for key in (
        "today", "tomorrow", "needs-note", "drafts", "plans", "measures", "alerts",
        "requests", "returned")}
    # The draft's session is a draft, not also "needs a note" (the caseload's old double
    # count); the signed note's session is neither.
    assert counts == {"today": 1, "tomorrow": 1, "needs-note": 1, "drafts": 1, "plans": 1,
                      "measures": 1, "alerts": 1, "requests": 1, "returned": 0}
    assert "6 things waiting for you" in page
    for link in (
        reverse("session_detail", args=[owed["today"].pk]),
        reverse("session_detail", args=[owed["tomorrow"].pk]),
        reverse("session_detail", args=[owed["no_note"].pk]),
        reverse("note_edit", args=[owed["draft_note"].pk]),
        reverse("plan_detail", args=[cast.client.pk]),
        reverse("measures_client", args=[cast.client.pk]),
        reverse("measures_client", args=[cast.client.pk]) + "#alerts",
        reverse("client_rights", args=[cast.client.pk]),
    ):
        assert f'href="{link}"' in page, link
    assert "GAD-7" in page and "overdue since" in page
    # Not the supervisor's section for a clinician.
    assert "awaiting my review" not in page


def test_someone_elses_work_is_not_on_my_day(cast, login):
    _everything_owed(cast.other_client, cast.bob)
    page = login(cast.alice).get(reverse("dashboard")).content.decode()
    assert "Nothing is waiting for you" in page and "Blake" not in page


def test_supervisors_get_the_review_section_empty_until_supervision_is_wired(cast, login):
    page = login(cast.sam).get(reverse("dashboard")).content.decode()
    assert _count(page, "dash-review") == 0 and _count(page, "dash-returned") == 0
    assert list(dashboard.notes_awaiting_review(cast.sam)) == []


def test_home_is_the_day_for_clinicians_and_the_caseload_stays(cast, login):
    browser = login(cast.alice)
    assert browser.get("/")["Location"] == reverse("dashboard")
    page = browser.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("caseload")}"' in page
    assert browser.get(reverse("caseload")).status_code == 200


def test_roles_without_a_caseload_have_no_day(cast, login):
    for who in (cast.ada, cast.fred, cast.pria):
        assert login(who).get(reverse("dashboard")).status_code == 404


def test_the_dashboard_runs_a_bounded_number_of_queries(cast, login,
                                                        django_assert_max_num_queries):
    for n in range(12):
        client = t.make_client(cast.alice, first_name=f"Many{n}")
        _everything_owed(client, cast.alice)
    browser = login(cast.alice)
    browser.get(reverse("dashboard"))  # warm the session
    with django_assert_max_num_queries(21):
        page = browser.get(reverse("dashboard")).content.decode()
    assert _count(page, "dash-drafts") == 12 and _count(page, "dash-alerts") == 12
    assert _count(page, "dash-requests") == 12
