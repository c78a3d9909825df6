"""The review through the API and the pages, as the supervisee and the supervisor."""

import json

import pytest

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.audit.models import AuditEvent
from psynote.supervision import actions
from psynote.supervision.models import Mode, NoteReview, ReviewState, Supervision


def _api(client, user):
    _, secret = issue_token(by=user, name="test")

    def call(method, url, body=None):
        return client.generic(method, f"/api/v1{url}", data=body and json.dumps(body),
                              content_type="application/json",
                              headers={"Authorization": f"Bearer {secret}"})
    return call


def test_the_loop_through_the_api(cast, client):
    actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue,
                            mode=Mode.APPROVE_BEFORE_RECORD)
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    sue, sam = _api(client, cast.sue), _api(client, cast.sam)
    assert sue("POST", f"/notes/{note.pk}/review/ready").json()["state"] == "ready_for_review"
    assert sam("GET", "/supervision/queue").json()["awaiting"] == [str(note.pk)]
    response = sam("POST", f"/notes/{note.pk}/review/return",
                   {"comments": [{"section": "plan", "text": "Add the homework."}]})
    assert response.status_code == 200 and response.json()["state"] == "returned"
    assert sue("GET", "/supervision/queue").json()["returned"] == [str(note.pk)]
    review = sue("GET", f"/notes/{note.pk}/review").json()
    assert review["comments"][0]["text"] == "Add the homework."
    assert review["comments"][0]["section"] == "plan"
    # The note's own representation carries no review comment.
    assert "Add the homework." not in sue("GET", f"/notes/{note.pk}").content.decode()
    assert sam("POST", f"/notes/{note.pk}/review/approve").status_code == 400
    response = sue("POST", f"/notes/{note.pk}/sign", {})
    assert response.status_code == 200, response.content
    assert sam("GET", f"/notes/{note.pk}/review").json()["held"] is True
    signed = sam("POST", f"/notes/{note.pk}/review/approve")
    assert signed.status_code == 200 and signed.json()["kind"] == "approval"
    assert signed.json()["signer_name"] == cast.sam.signature_name
    assert sam("POST", f"/notes/{note.pk}/review/cosign").status_code == 400
    assert sam("GET", f"/notes/{note.pk}/review").json()["held"] is False


def test_bad_api_input_is_a_400_with_nothing_changed(cast, client):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    actions.mark_ready(by=cast.sue, note=note)
    sam = _api(client, cast.sam)
    for body in ({"comments": []}, {"comments": [{"text": "x" * 10_001}]},
                 {"comments": [{"section": "nope", "text": "Hi"}]}, {"other": 1}):
        assert sam("POST", f"/notes/{note.pk}/review/return", body).status_code == 400
    assert NoteReview.objects.get(note=note).state == ReviewState.READY
    assert not note.review_comments.exists()


def test_the_supervisor_writes_reviews_but_never_the_note(cast, client):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    sam = _api(client, cast.sam)
    assert sam("PATCH", f"/notes/{note.pk}", {"sections": {"plan": "Mine."}}).status_code == 404
    assert sam("POST", f"/notes/{note.pk}/sign", {}).status_code == 404
    assert sam("POST", f"/notes/{note.pk}/review/comments",
               {"section": "plan", "text": "Consider homework."}).status_code == 201


def test_others_get_a_404_for_a_review(cast, client):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    cast.supervisee_client.care_team.create(user=cast.bob, role="clinician")
    for who in (cast.bob, cast.alice, cast.ada):
        api = _api(client, who)
        assert api("GET", f"/notes/{note.pk}/review").status_code == 404
        assert api("POST", f"/notes/{note.pk}/review/comments", {"text": "x"}).status_code == 404


def test_a_supervisor_sets_the_mode_of_their_supervisee_only(cast, client):
    sam = _api(client, cast.sam)
    response = sam("PUT", f"/users/{cast.sue.pk}/supervision",
                   {"supervisor_id": cast.sam.pk, "mode": "cosign_required"})
    assert response.status_code == 200 and response.json()["mode"] == "cosign_required"
    assert sam("PUT", f"/users/{cast.alice.pk}/supervision",
               {"supervisor_id": cast.sam.pk}).status_code == 404
    assert sam("PUT", f"/users/{cast.sue.pk}/supervision",
               {"supervisor_id": cast.sam.pk, "mode": "lenient"}).status_code == 400
    assert AuditEvent.objects.filter(action="supervision.mode",
                                     target_id=str(cast.sue.pk)).exists()


def test_the_admin_page_adds_a_supervisor_sets_a_mode_and_ends_it(cast, login):
    browser = login(cast.ada)
    page = browser.get(f"/supervision/users/{cast.alice.pk}/")
    assert page.status_code == 200 and "No supervisor." in page.content.decode()
    response = browser.post(f"/supervision/users/{cast.alice.pk}/",
                            {"supervisor": cast.sam.pk, "mode": "approve_before_record"})
    assert response.status_code == 302
    row = Supervision.objects.get(supervisee=cast.alice)
    assert (row.supervisor, row.mode) == (cast.sam, Mode.APPROVE_BEFORE_RECORD)
    response = browser.post(f"/supervision/users/{cast.alice.pk}/",
                            {"supervisor": cast.alice.pk, "mode": "review"})
    assert response.status_code == 400 and "choose a supervisor" in response.content.decode()
    browser.post(f"/supervision/users/{cast.alice.pk}/", {"end": str(cast.sam.pk)})
    assert not Supervision.objects.filter(supervisee=cast.alice).exists()
    assert AuditEvent.objects.filter(action="supervision.end").exists()


@pytest.mark.parametrize("who", ["bob", "fred", "pria", "sue"])
def test_only_the_admin_and_the_supervisor_open_the_supervision_page(cast, login, who):
    assert login(getattr(cast, who)).get(f"/supervision/users/{cast.sue.pk}/").status_code == 404


def test_the_note_page_shows_the_review_to_author_and_supervisor_only(cast, login):
    actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue,
                            mode=Mode.COSIGN_REQUIRED)
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    actions.add_comment(by=cast.sam, note=note, section="plan", text="Well argued plan.")
    cast.supervisee_client.care_team.create(user=cast.bob, role="clinician")
    as_sam = login(cast.sam).get(f"/notes/{note.pk}/").content.decode()
    assert "Well argued plan." in as_sam and "Co-sign" in as_sam
    assert "Awaiting co-signature" in as_sam
    as_bob = login(cast.bob).get(f"/notes/{note.pk}/").content.decode()
    assert "Well argued plan." not in as_bob and "Awaiting co-signature" in as_bob
    login(cast.sam).post(f"/notes/{note.pk}/review/cosign/")
    as_bob = login(cast.bob).get(f"/notes/{note.pk}/").content.decode()
    assert f"Co-signed by <strong>{cast.sam.signature_name}</strong>" in as_bob


def test_a_colleague_sees_a_held_note_as_pending_on_the_session_page(cast, login):
    actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue,
                            mode=Mode.APPROVE_BEFORE_RECORD)
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    cast.supervisee_client.care_team.create(user=cast.bob, role="clinician")
    page = login(cast.bob).get(f"/sessions/{note.session_id}/").content.decode()
    assert "Awaiting supervisor approval" in page and "Read the note" not in page
    page = login(cast.sue).get(f"/sessions/{note.session_id}/").content.decode()
    assert "Read the note" in page
    actions.cosign(by=cast.sam, note=note, approve=True)
    page = login(cast.bob).get(f"/sessions/{note.session_id}/").content.decode()
    assert "Read the note" in page and "Awaiting supervisor approval" not in page


def test_an_unsupervised_author_sees_no_review_box(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    page = login(cast.alice).get(f"/notes/{note.pk}/").content.decode()
    assert "Supervision review" not in page and "Mark ready for review" not in page
    draft = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    page = login(cast.sue).get(f"/notes/{draft.pk}/").content.decode()
    assert "Supervision review" in page and "Mark ready for review" in page
