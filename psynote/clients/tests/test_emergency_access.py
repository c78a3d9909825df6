"""Emergency access ("break the glass", 45 CFR 170.315(d)(6); docs/adr/0008): bob, a
clinician who is not on the care team of alice's client, opens her chart in an emergency.
The chart opens read-only and for a limited time, psychotherapy notes and disclosures stay
closed, every read is marked in the audit log, alice and the privacy officer see the use,
and the privacy officer records a review."""

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.accounts.models import Role
from psynote.audit.models import AuditEvent
from psynote.clients import actions as client_actions
from psynote.clients import emergency
from psynote.clients.models import SHREDDED_KEY, Client, Diagnosis, EmergencyAccess
from psynote.notes import actions as note_actions
from psynote.notes.models import Addendum, ProgressNote

REASON = "Fictional: client arrived in crisis, primary clinician unreachable"
BANNER = "Emergency access — every page you open is recorded"


@pytest.fixture
def chart(cast):
    """alice's client with a signed note and a psychotherapy note."""
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session, sign=True)
    t.open_psychotherapy_notes(cast.alice)
    pnote = note_actions.write_psychotherapy_note(by=cast.alice, client=cast.client,
                                                  body="Fictional process note.")
    return note, pnote


def _break_glass(client_, who, target, reason=REASON):
    client_.force_login(who)
    return client_.post(f"/clients/{target.pk}/emergency-access/",
                        {"reason": reason, "understood": "on"})


def _age(grant: EmergencyAccess, hours: float) -> None:
    """Move the grant back in time, as if it had been opened `hours` earlier."""
    grant.refresh_from_db()
    EmergencyAccess.objects.filter(pk=grant.pk).update(
        started_at=grant.started_at - timedelta(hours=hours),
        ends_at=grant.ends_at - timedelta(hours=hours))


# --- opening the chart -----------------------------------------------------------------


def test_a_grant_opens_the_chart_read_only_with_the_banner(cast, chart, client):
    note, _ = chart
    assert client.get(f"/clients/{cast.client.pk}/").status_code == 302  # not logged in
    client.force_login(cast.bob)
    assert client.get(f"/clients/{cast.client.pk}/").status_code == 404

    response = _break_glass(client, cast.bob, cast.client)
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{cast.client.pk}/"
    grant = EmergencyAccess.objects.get(user=cast.bob, client=cast.client)
    assert grant.ends_at - grant.started_at == timedelta(hours=24)

    page = client.get(f"/clients/{cast.client.pk}/").content.decode()
    assert BANNER in page and "23 h 59 min left" in page
    assert "F41.1" in page  # the clinical record is there to read
    for write in ("Record a session", "Add a diagnosis", "Edit demographics",
                  "Authorizations and disclosures", "psychotherapy notes"):
        assert write not in page
    detail = client.get(f"/notes/{note.pk}/")
    assert detail.status_code == 200 and BANNER in detail.content.decode()
    # The banner is on every page while the grant is open, not only the client's.
    assert BANNER in client.get("/caseload/").content.decode()


def test_a_supervisor_may_break_the_glass_too(cast, client):
    assert _break_glass(client, cast.sam, cast.client).status_code == 302
    assert client.get(f"/clients/{cast.client.pk}/").status_code == 200


def test_the_grant_lasts_the_configured_hours(cast, settings):
    settings.EMERGENCY_ACCESS_HOURS = 4
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    assert grant.ends_at - grant.started_at == timedelta(hours=4)


@pytest.mark.parametrize("who", ["ada", "fred", "pria"])
def test_admin_front_desk_and_privacy_officer_cannot_break_the_glass(cast, client, who):
    user = getattr(cast, who)
    client.force_login(user)
    assert client.get("/emergency-access/search/?q=Avery").status_code == 404
    assert client.get(f"/clients/{cast.client.pk}/emergency-access/").status_code == 404
    assert _break_glass(client, user, cast.client).status_code == 404
    with pytest.raises(ValidationError):
        emergency.break_glass(by=user, client=cast.client, reason=REASON)
    assert not EmergencyAccess.objects.exists()


def test_a_clinician_of_another_practice_cannot_break_the_glass(cast, client):
    stranger = t.make_user(t.make_practice("Other Fictional Practice"), "olga")
    assert _break_glass(client, stranger, cast.client).status_code == 404
    found = client.get("/emergency-access/search/?q=Avery").content.decode()
    assert "No client of the practice matches" in found and "Fictional, Avery" not in found
    with pytest.raises(ValidationError):
        emergency.break_glass(by=stranger, client=cast.client, reason=REASON)
    assert not EmergencyAccess.objects.exists()


def test_the_care_team_needs_no_glass_to_break(cast, client):
    client.force_login(cast.alice)
    response = client.get(f"/clients/{cast.client.pk}/emergency-access/")
    assert response.status_code == 302 and response["Location"] == f"/clients/{cast.client.pk}/"
    with pytest.raises(ValidationError, match="already read"):
        emergency.break_glass(by=cast.alice, client=cast.client, reason=REASON)
    # Nor does a supervisor for a supervisee's client: he reads it already.
    with pytest.raises(ValidationError, match="already read"):
        emergency.break_glass(by=cast.sam, client=cast.supervisee_client, reason=REASON)


@pytest.mark.parametrize("form, error", [
    ({"reason": "", "understood": "on"}, "This field is required"),
    ({"reason": "   ", "understood": "on"}, "This field is required"),
    ({"reason": "x" * 501, "understood": "on"}, "Keep the reason to 500 characters"),
    ({"reason": REASON}, "This field is required"),  # the warning not acknowledged
])
def test_a_reason_is_required_and_bounded(cast, client, form, error):
    client.force_login(cast.bob)
    response = client.post(f"/clients/{cast.client.pk}/emergency-access/", form)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("reason", ["", "  \n ", "x" * 501, None])
def test_the_action_refuses_a_missing_or_long_reason(cast, reason):
    with pytest.raises(ValidationError, match="reason"):
        emergency.break_glass(by=cast.bob, client=cast.client, reason=reason)
    assert not EmergencyAccess.objects.exists()


def test_one_open_grant_at_a_time(cast, client):
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    with pytest.raises(ValidationError, match="already have"):
        emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    assert client.get(f"/clients/{cast.client.pk}/emergency-access/").status_code == 302
    assert EmergencyAccess.objects.count() == 1


def test_a_destroyed_record_cannot_be_opened(cast, client):
    Client.objects.filter(pk=cast.client.pk).update(wrapped_key=SHREDDED_KEY)
    assert _break_glass(client, cast.bob, cast.client).status_code == 404
    assert not EmergencyAccess.objects.exists()


# --- the search --------------------------------------------------------------------------


def test_the_search_shows_demographics_only_with_the_way_in(cast, chart, client):
    client.force_login(cast.bob)
    page = client.get("/emergency-access/search/?q=fictional").content.decode()
    assert "Only in an emergency" in page
    assert "Fictional, Avery" in page and "1990-05-17" in page
    assert f'href="/clients/{cast.client.pk}/emergency-access/"' in page
    assert ">Emergency access</a>" in page
    for clinical in ("F41.1", "Generalized", "Fictional process note", "Client reports"):
        assert clinical not in page
    # bob's own client leads to the chart he already reads, not to an emergency.
    own = client.get("/emergency-access/search/?q=Blake").content.decode()
    assert "Open chart (your care team)" in own and "emergency-access/" not in own.split(
        "<table")[1]
    short = client.get("/emergency-access/search/?q=A").content.decode()
    assert "at least two letters" in short and "Fictional, Avery" not in short
    event = AuditEvent.objects.filter(action="emergency_access.search").last()
    assert json.loads(event.detail) == {"results": 1}  # never the name searched for


# --- read-only -----------------------------------------------------------------------------


def test_writes_under_a_grant_are_refused(cast, chart, client):
    note, _ = chart
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    c = cast.client.pk
    diagnosis = cast.client.diagnoses.first()
    before = (Diagnosis.objects.count(), Addendum.objects.count(), ProgressNote.objects.count(),
              cast.client.sessions.count(), cast.client.care_team.count())
    refused_pages = [
        (f"/clients/{c}/edit/", {"first_name": "Changed", "last_name": "Fictional",
                                 "date_of_birth": "1990-05-17", "status": "active"}),
        (f"/clients/{c}/care-team/", {"action": "add", "user": cast.bob.pk, "role": "member"}),
        (f"/clients/{c}/diagnoses/", {"code": "F32.A"}),
        (f"/diagnoses/{diagnosis.pk}/status/", {"status": "resolved"}),
        (f"/clients/{c}/sessions/new/", {"date": "2026-01-05", "start_time": "10:00",
                                         "end_time": "10:50", "attendance": "attended"}),
        (f"/notes/{note.pk}/addenda/", {"kind": "correction", "body": "Fictional."}),
        (f"/clients/{c}/measures/gad7/administer/", {f"q{n}": "1" for n in range(1, 8)}),
        (f"/clients/{c}/plan/new/", {}),
        (f"/clients/{c}/authorizations/new/", {}),
        (f"/clients/{c}/disclose/", {}),
        (f"/clients/{c}/rights/access/", {"requested_on": "2026-01-05"}),
        (f"/clients/{c}/psychotherapy-notes/", {"body": "Fictional."}),
    ]
    for url, data in refused_pages:
        assert client.post(url, data).status_code == 404, url
    _, secret = issue_token(by=cast.bob, name="emergency")
    api = {"Authorization": f"Bearer {secret}"}
    refused_api = [
        ("PATCH", f"/api/v1/clients/{c}", {"first_name": "Changed"}),
        ("POST", f"/api/v1/clients/{c}/diagnoses", {"code": "F32.A"}),
        ("POST", f"/api/v1/clients/{c}/sessions", {"date": "2026-01-05", "start_time": "10:00",
                                                   "end_time": "10:50"}),
        ("POST", f"/api/v1/notes/{note.pk}/addenda", {"kind": "correction", "body": "x"}),
        ("POST", f"/api/v1/clients/{c}/administrations",
         {"instrument": "gad7", "answers": {str(n): 1 for n in range(1, 8)}}),
        ("POST", f"/api/v1/clients/{c}/plans/draft", {}),
        ("POST", f"/api/v1/clients/{c}/psychotherapy-notes", {"body": "Fictional."}),
    ]
    for method, url, body in refused_api:
        response = client.generic(method, url, data=json.dumps(body),
                                  content_type="application/json", headers=api)
        assert response.status_code == 404, (method, url)
    cast.client.refresh_from_db()
    assert cast.client.first_name == "Avery"
    assert (Diagnosis.objects.count(), Addendum.objects.count(), ProgressNote.objects.count(),
            cast.client.sessions.count(), cast.client.care_team.count()) == before


def test_an_authors_own_draft_stays_closed_to_writing_under_a_grant(cast, client):
    """bob wrote a draft while on the care team, then left it: a grant lets him read the
    chart again, not finish the note."""
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    draft = t.make_note(t.make_session(cast.client, cast.bob))
    client_actions.remove_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    assert client.get(f"/notes/{draft.pk}/").status_code == 200
    assert client.get(f"/notes/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/notes/{draft.pk}/autosave/", {"section_plan": "x"}).status_code == 404
    assert client.post(f"/notes/{draft.pk}/sign/", {}).status_code == 404
    assert ProgressNote.objects.get(pk=draft.pk).signed_at is None


def test_psychotherapy_notes_stay_closed_under_a_grant(cast, chart, client):
    _, pnote = chart
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    assert client.get(f"/clients/{cast.client.pk}/psychotherapy-notes/").status_code == 404
    assert client.get(f"/psychotherapy-notes/{pnote.pk}/").status_code == 404
    _, secret = issue_token(by=cast.bob, name="emergency")
    api = {"Authorization": f"Bearer {secret}"}
    for url in (f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes",
                f"/api/v1/psychotherapy-notes/{pnote.pk}"):
        assert client.get(url, headers=api).status_code == 404, url
    listed = client.get(f"/api/v1/clients/{cast.client.pk}/notes", headers=api)
    assert listed.status_code == 200 and "Fictional process note" not in listed.content.decode()


def test_disclosures_and_rights_stay_closed_under_a_grant(cast, chart, client):
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    for url in (f"/clients/{cast.client.pk}/authorizations/",
                f"/clients/{cast.client.pk}/accounting-of-disclosures/",
                f"/clients/{cast.client.pk}/rights/"):
        assert client.get(url).status_code == 404, url
    # Nor does the client join bob's own caseload or outcome listings (only the banner
    # names her).
    for listing in ("/caseload/", "/caseload/outcomes/"):
        page = re.sub(r'<div class="emergency-banner".*?</div>', "",
                      client.get(listing).content.decode(), flags=re.S)
        assert "Avery" not in page, listing


# --- the end of a grant ------------------------------------------------------------------


def test_the_grant_expires(cast, chart, client):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    _age(grant, 23)
    page = client.get(f"/clients/{cast.client.pk}/").content.decode()
    assert BANNER in page and "59 min left" in page and "23 h" not in page.split(BANNER)[1][:300]
    _age(grant, 1.01)  # now past its 24 hours
    assert client.get(f"/clients/{cast.client.pk}/").status_code == 404
    assert client.get(f"/notes/{chart[0].pk}/").status_code == 404
    assert BANNER not in client.get("/caseload/").content.decode()
    assert not EmergencyAccess.objects.active().exists()


def test_the_user_ends_the_grant_early(cast, client):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.sam)  # someone else's grant: not theirs to end
    assert client.post(f"/emergency-access/{grant.pk}/end/").status_code == 404
    client.force_login(cast.alice)
    assert client.post(f"/emergency-access/{grant.pk}/end/").status_code == 404
    client.force_login(cast.bob)
    response = client.post(f"/emergency-access/{grant.pk}/end/")
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.ended_at is not None and not grant.is_active()
    assert client.get(f"/clients/{cast.client.pk}/").status_code == 404
    again = client.post(f"/emergency-access/{grant.pk}/end/", follow=True)
    assert "already ended" in again.content.decode()
    assert AuditEvent.objects.filter(action="emergency_access.end",
                                     target_id=str(grant.pk)).count() == 1


# --- audit ---------------------------------------------------------------------------------


def test_every_event_under_a_grant_is_marked_and_none_holds_the_reason(cast, chart, client):
    note, _ = chart
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.bob)
    client.get(f"/clients/{cast.client.pk}/")
    client.get(f"/notes/{note.pk}/")
    client.get(f"/clients/{cast.client.pk}/measures/")
    client.post(f"/clients/{cast.client.pk}/diagnoses/", {"code": "F32.A"})  # refused
    client.post(f"/emergency-access/{grant.pk}/end/")
    client.get(f"/clients/{cast.client.pk}/")  # after the end: refused, unmarked

    bobs = AuditEvent.objects.filter(actor_id=str(cast.bob.pk)).order_by("seq")
    about_client = [e for e in bobs if e.client_id == str(cast.client.pk)]
    reads = [e for e in about_client if e.action.endswith(".view")]
    assert [e.action for e in reads] == ["client.view", "note.view", "measures.view"]
    for event in reads:
        detail = json.loads(event.detail)
        assert detail["emergency_access"] == str(grant.pk)
    grant_event = bobs.get(action="emergency_access.grant")
    assert json.loads(grant_event.detail)["hours"] == 24
    assert grant_event.target_id == str(grant.pk)
    assert bobs.filter(action="emergency_access.end").count() == 1
    after = bobs.filter(action="access.denied").last()
    assert "emergency_access" not in after.detail
    everything = "\n".join(e.payload for e in AuditEvent.objects.all())
    assert "crisis" not in everything and "unreachable" not in everything
    # The reads show on the grant's page, for the review.
    assert [use.action for use in emergency.uses_of(grant)] == [
        "client.view", "note.view", "measures.view"]


def test_a_colleagues_reads_of_the_same_client_are_not_marked(cast, client):
    emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    client.force_login(cast.alice)
    client.get(f"/clients/{cast.client.pk}/")
    event = AuditEvent.objects.filter(action="client.view").last()
    assert event.actor_id == str(cast.alice.pk) and "emergency_access" not in event.detail


# --- alerts and review -----------------------------------------------------------------------


def test_the_clinician_and_the_privacy_officer_see_the_use(cast, client):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)

    client.force_login(cast.alice)
    caseload = client.get("/caseload/").content.decode()
    assert "Emergency access to your clients" in caseload
    assert str(cast.bob) in caseload and f"/emergency-access/{grant.pk}/" in caseload
    assert REASON in client.get(f"/emergency-access/{grant.pk}/").content.decode()
    assert REASON in client.get("/emergency-access/").content.decode()

    client.force_login(cast.pria)
    notice = client.get("/audit/").content.decode()
    assert "1 use of emergency access waits for your review" in notice
    listing = client.get("/emergency-access/?show=waiting").content.decode()
    assert REASON in listing and str(cast.bob) in listing and "Avery Fictional" in listing

    # Not to a colleague off the care team, nor to anyone who is not clinical.
    client.force_login(cast.sam)
    assert "Emergency access to your clients" not in client.get("/caseload/").content.decode()
    assert REASON not in client.get("/emergency-access/").content.decode()
    assert client.get(f"/emergency-access/{grant.pk}/").status_code == 404
    for other in (cast.ada, cast.fred):
        client.force_login(other)
        assert client.get("/emergency-access/").status_code == 404
        assert client.get(f"/emergency-access/{grant.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="emergency_access.view").count() == 1


def test_the_privacy_officer_records_a_review(cast, client):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    url = f"/emergency-access/{grant.pk}/review/"
    for other in (cast.alice, cast.bob, cast.sam, cast.ada):
        client.force_login(other)
        assert client.post(url, {"review": "appropriate"}).status_code == 404
    client.force_login(cast.pria)
    missing = client.post(url, {"review": "not_appropriate", "comment": ""})
    assert missing.status_code == 400 and "Give the comment" in missing.content.decode()
    assert client.post(url, {"review": "maybe"}).status_code == 400
    grant.refresh_from_db()
    assert not grant.is_reviewed and grant.is_active()

    comment = "Fictional: no emergency on record; discussed with the clinician"
    assert client.post(url, {"review": "not_appropriate", "comment": comment}).status_code == 302
    grant.refresh_from_db()
    assert grant.review == "not_appropriate" and grant.reviewed_by == cast.pria
    assert grant.review_comment() == comment and comment.encode() not in bytes(
        grant.review_comment_ct)
    assert not grant.is_active()  # found not appropriate while open: ended at once
    page = client.get(f"/emergency-access/{grant.pk}/").content.decode()
    assert "Not appropriate" in page and comment in page
    event = AuditEvent.objects.get(action="emergency_access.review")
    assert json.loads(event.detail) == {"review": "not_appropriate", "ended": True}
    assert "discussed" not in event.payload
    # Recorded once.
    assert client.post(url, {"review": "appropriate"}).status_code == 302
    with pytest.raises(ValidationError, match="already reviewed"):
        emergency.review_emergency_access(by=cast.pria, grant=grant, review="appropriate")
    grant.refresh_from_db()
    assert grant.review == "not_appropriate"
    assert "waits for your review" not in client.get("/audit/").content.decode()
    # alice sees the finding, not the privacy officer's comment.
    client.force_login(cast.alice)
    page = client.get(f"/emergency-access/{grant.pk}/").content.decode()
    assert "Not appropriate" in page and comment not in page


def test_an_appropriate_review_leaves_an_open_grant_open(cast):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    emergency.review_emergency_access(by=cast.pria, grant=grant, review="appropriate")
    grant.refresh_from_db()
    assert grant.is_active() and grant.review_comment() == ""


def test_the_privacy_officer_of_another_practice_sees_nothing(cast, client):
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    other = t.make_user(t.make_practice("Other Fictional Practice"), "otto", Role.PRIVACY)
    client.force_login(other)
    assert REASON not in client.get("/emergency-access/").content.decode()
    assert client.get(f"/emergency-access/{grant.pk}/").status_code == 404
    assert client.post(f"/emergency-access/{grant.pk}/review/",
                       {"review": "appropriate"}).status_code == 404
    with pytest.raises(ValidationError):
        emergency.review_emergency_access(by=other, grant=grant, review="appropriate")


def test_the_grant_rows_keep_their_fields_together(cast):
    from django.db import IntegrityError, transaction

    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason=REASON)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyAccess.objects.filter(pk=grant.pk).update(review="appropriate")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyAccess.objects.filter(pk=grant.pk).update(ends_at=grant.started_at)
    assert EmergencyAccess.objects.get(pk=grant.pk).reason() == REASON
    assert REASON.encode() not in bytes(EmergencyAccess.objects.get(pk=grant.pk).reason_ct)
    assert timezone.now() < grant.ends_at
