"""Copy-forward: a new note starts from chosen sections of the client's last signed note,
marked as carried until edited, and the copy is audited with ids only."""

import json
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.notes import actions, carry
from psynote.notes.models import ProgressNote

LAST_WEEK = {
    "subjective": "Fictional report of last week.",
    "objective": "Fictional calm presentation.",
    "assessment": "Fictional assessment carried.",
    "plan": "Fictional plan carried forward.",
}


@pytest.fixture
def earlier(cast):
    """A signed note a week ago, and today's session with no note yet."""
    today = timezone.localdate()
    draft = t.make_note(t.make_session(cast.client, cast.alice, day=today - timedelta(days=7)),
                        sections=LAST_WEEK)
    signed = actions.sign_note(by=cast.alice, note=draft, late_reason="Fictional delay.")
    return signed, t.make_session(cast.client, cast.alice, day=today)


def test_start_page_offers_the_last_signed_notes_sections(cast, login, earlier):
    signed, session = earlier
    page = login(cast.alice).get(f"/sessions/{session.pk}/note/").content.decode()
    assert "Carry forward from the last signed note" in page
    assert f"/notes/{signed.pk}/" in page
    for key in LAST_WEEK:
        assert f'name="carry" value="{key}"' in page
    # Labels only on this page: the text is read on the source note itself.
    assert LAST_WEEK["plan"] not in page


def test_two_sections_carry_marked_and_the_copy_is_audited(cast, login, earlier):
    signed, session = earlier
    client = login(cast.alice)
    response = client.post(f"/sessions/{session.pk}/note/",
                           {"template": "soap", "carry": ["assessment", "plan"]})
    note = ProgressNote.objects.get(session=session)
    assert response.status_code == 302
    content = note.content()
    assert content["sections"]["plan"] == LAST_WEEK["plan"]
    assert content["sections"]["assessment"] == LAST_WEEK["assessment"]
    assert content["sections"]["subjective"] == ""
    assert carry.carried_keys(content) == {"assessment", "plan"}
    editor = client.get(f"/notes/{note.pk}/edit/").content.decode()
    assert editor.count("data-carried-mark") == 2
    event = AuditEvent.objects.get(action="note.carry_forward")
    assert event.target_id == str(note.pk)
    detail = json.loads(event.detail)
    assert detail["source_note"] == str(signed.pk)
    assert detail["sections"] == ["assessment", "plan"]
    assert "Fictional" not in event.detail


def test_an_edit_clears_the_mark_and_the_signed_note_keeps_the_rest(cast, login, earlier):
    _, session = earlier
    note = actions.start_note(by=cast.alice, session=session, template="soap",
                              carry_sections=["assessment", "plan"])
    codes = [d.code for d in cast.client.diagnoses.all()]
    note = actions.save_draft(by=cast.alice, note=note, changes={
        "sections": {"subjective": "New week.", "objective": "Fictional.",
                     "plan": "Fictional plan, revised this week."},
        "diagnosis_codes": codes})
    assert carry.carried_keys(note.content()) == {"assessment"}
    note = actions.sign_note(by=cast.alice, note=note)
    page = login(cast.alice).get(f"/notes/{note.pk}/").content.decode()
    assert page.count("Carried forward from the note of") == 1


def test_never_from_a_draft(cast, earlier):
    _, session = earlier
    later = t.make_session(cast.client, cast.alice, day=session.date, start=session.start_time)
    t.make_note(session, sections={"plan": "Fictional draft plan."})  # today's, unsigned
    # The source stays last week's signed note, not today's draft.
    assert carry.source_for(later).content()["sections"]["plan"] == LAST_WEEK["plan"]


def test_no_signed_note_means_nothing_to_carry(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(t.make_session(cast.client, cast.alice,
                               day=timezone.localdate() - timedelta(days=3)))  # a draft only
    page = login(cast.alice).get(f"/sessions/{session.pk}/note/").content.decode()
    assert "Carry forward" not in page
    with pytest.raises(ValidationError, match="no earlier signed progress note"):
        actions.start_note(by=cast.alice, session=session, template="soap",
                           carry_sections=["plan"])
    assert not ProgressNote.objects.filter(session=session).exists()


def test_a_psychotherapy_note_is_never_a_source(cast, earlier):
    _, session = earlier
    t.open_psychotherapy_notes(cast.alice)
    actions.write_psychotherapy_note(by=cast.alice, client=cast.client,
                                     body="MARKER-PROCESS-NOTE", session=session)
    note = actions.start_note(by=cast.alice, session=session, template="soap",
                              carry_sections=list(LAST_WEEK))
    assert "MARKER-PROCESS-NOTE" not in str(note.content())


def test_a_section_the_template_lacks_is_refused_with_nothing_made(cast, login, earlier):
    _, session = earlier
    response = login(cast.alice).post(f"/sessions/{session.pk}/note/",
                                      {"template": "dap", "carry": ["subjective"]})
    assert response.status_code == 400
    assert "no “Subjective” section" in response.content.decode()
    assert not ProgressNote.objects.filter(session=session).exists()
    assert not AuditEvent.objects.filter(action="note.carry_forward").exists()


def test_a_matching_section_carries_across_templates(cast, earlier):
    _, session = earlier
    note = actions.start_note(by=cast.alice, session=session, template="dap",
                              carry_sections=["plan"])
    assert note.content()["sections"]["plan"] == LAST_WEEK["plan"]


def test_the_api_carries_sections_too(cast, client, earlier):
    from psynote.accounts.actions import issue_token

    _, session = earlier
    _, secret = issue_token(by=cast.alice, name="carry")
    response = client.post(f"/api/v1/sessions/{session.pk}/notes",
                           {"template": "soap", "carry_sections": ["plan"]},
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201
    assert response.json()["content"]["sections"]["plan"] == LAST_WEEK["plan"]
    other = t.make_session(cast.client, cast.alice, day=session.date, start=time(15, 0))
    bad = client.post(f"/api/v1/sessions/{other.pk}/notes",
                      {"template": "soap", "carry_sections": ["nonsense"]},
                      content_type="application/json",
                      headers={"Authorization": f"Bearer {secret}"})
    assert bad.status_code == 400
    assert "no written section 'nonsense'" in bad.content.decode()
    assert not ProgressNote.objects.filter(session=other).exists()
