"""Signing a progress note from its sign page: completeness, late entries, who may sign."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.notes.models import ProgressNote


def test_sign_page_lists_what_is_missing(cast, login):
    note = t.make_note(
        t.make_session(cast.client, cast.alice),
        sections={"subjective": "Only this."},
        diagnosis_codes=[],
    )
    response = login(cast.alice).get(f"/notes/{note.pk}/sign/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Objective is empty" in page and "Plan is empty" in page
    assert "choose at least one diagnosis" in page
    assert "Reason for late entry" not in page
    # Nothing to sign with while the list stands: the way on is back to the draft.
    assert "Sign and lock" not in page and "<form method=\"post\" class=\"card\"" not in page
    assert f'href="/notes/{note.pk}/edit/">Back to the draft' in page


def test_sign_page_of_a_complete_note_offers_sign_and_lock(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    page = login(cast.alice).get(f"/notes/{note.pk}/sign/").content.decode()
    assert "Every required part is filled in" in page and "Sign and lock" in page


def test_signing_an_incomplete_note_is_refused_with_its_problems(cast, login):
    note = t.make_note(
        t.make_session(cast.client, cast.alice),
        sections={"subjective": "Only this."},
        risk={"si": "passive"},
    )
    response = login(cast.alice).post(f"/notes/{note.pk}/sign/")
    page = response.content.decode()
    assert response.status_code == 400
    assert "The note was not signed" in page and "Assessment is empty" in page
    assert "risk was flagged: set the risk level" in page
    assert not ProgressNote.objects.get(pk=note.pk).is_signed


def test_signing_a_complete_note_locks_it_and_shows_the_signature(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    client = login(cast.alice)
    response = client.post(f"/notes/{note.pk}/sign/")
    assert response.status_code == 302 and response.url == f"/notes/{note.pk}/"
    note = ProgressNote.objects.get(pk=note.pk)
    assert note.is_signed and not note.late_entry and note.cpt_code == "90834"
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "Electronically signed by <strong>Alice Testperson, PhD</strong> on" in page
    assert note.content_hash[:16] in page
    assert "Late entry" not in page


def test_a_signed_note_cannot_be_signed_again(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    signed_at = note.signed_at
    response = login(cast.alice).post(f"/notes/{note.pk}/sign/")
    assert response.status_code == 302
    assert ProgressNote.objects.get(pk=note.pk).signed_at == signed_at


def _old_note(cast):
    day = timezone.localdate() - timedelta(days=10)
    return t.make_note(t.make_session(cast.client, cast.alice, day=day))


def test_late_note_asks_for_a_reason(cast, login):
    note = _old_note(cast)
    page = login(cast.alice).get(f"/notes/{note.pk}/sign/").content.decode()
    assert "Late entry" in page and 'name="late_reason"' in page and "72 hours" in page


def test_late_note_without_a_reason_is_not_signed(cast, login):
    note = _old_note(cast)
    response = login(cast.alice).post(f"/notes/{note.pk}/sign/", {"late_reason": "   "})
    assert response.status_code == 400
    assert "give the reason for the late entry" in response.content.decode()
    assert not ProgressNote.objects.get(pk=note.pk).is_signed


def test_late_note_with_a_reason_is_signed_and_labelled(cast, login):
    note = _old_note(cast)
    client = login(cast.alice)
    response = client.post(
        f"/notes/{note.pk}/sign/", {"late_reason": "Fictional clinic closure for a week."}
    )
    assert response.status_code == 302
    note = ProgressNote.objects.get(pk=note.pk)
    assert note.is_signed and note.late_entry
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "Late entry" in page and "Fictional clinic closure for a week." in page


@pytest.mark.parametrize("who", ["sam", "bob", "ada", "fred", "pria"])
def test_nobody_but_the_author_signs(cast, login, who):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    client = login(getattr(cast, who))
    assert client.get(f"/notes/{note.pk}/sign/").status_code == 404
    assert client.post(f"/notes/{note.pk}/sign/").status_code == 404
    assert not ProgressNote.objects.get(pk=note.pk).is_signed
