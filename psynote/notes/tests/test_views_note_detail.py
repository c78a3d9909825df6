"""Reading a progress note: what it shows, who may read it, and the audit trail."""

import pytest

from psynote import testing as t
from psynote.audit.models import AuditEvent


@pytest.fixture
def signed(cast):
    session = t.make_session(
        cast.supervisee_client, cast.sue, modality="audio", place="client_home"
    )
    return t.make_note(
        session,
        sign=True,
        mse={"mood": "anxious", "judgment": "fair"},
        risk={
            "flagged": True,
            "si": "passive",
            "level": "low",
            "protective_factors": "Fictional dog and job.",
        },
        interventions=["psychoeducation"],
        interventions_other="Fictional worksheet",
    )


def test_detail_shows_the_whole_signed_note(cast, login, signed):
    response = login(cast.sue).get(f"/notes/{signed.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Client reports fictional week.",
        "Continue weekly.",
        "anxious",
        "Judgment",
        "Passive",
        "Low",
        "Fictional dog and job.",
        "Psychoeducation",
        "Fictional worksheet",
        "F41.1",
        "Generalized anxiety disorder",
        "90834",
        "Place of service 10",
        "modifier 93",
        "Electronically signed by",
        signed.content_hash[:16],
        "Risk flagged",
    ):
        assert text in page, text
    assert "Edit draft" not in page


def test_reading_a_note_is_audited(cast, login, signed):
    login(cast.sue).get(f"/notes/{signed.pk}/")
    assert (
        AuditEvent.objects.filter(
            action="note.view", target_id=str(signed.pk), actor_id=str(cast.sue.pk)
        ).count()
        == 1
    )


def test_supervisor_reads_a_supervisees_note_but_cannot_change_it(cast, login, signed):
    draft = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    client = login(cast.sam)
    page = client.get(f"/notes/{signed.pk}/").content.decode()
    assert "Client reports fictional week." in page
    assert "Add an addendum" not in page
    assert client.get(f"/notes/{draft.pk}/").status_code == 200
    assert client.get(f"/notes/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/notes/{draft.pk}/sign/").status_code == 404


@pytest.mark.parametrize("who", ["bob", "ada", "fred", "pria"])
def test_anyone_off_the_care_team_gets_404(cast, login, signed, who):
    user = getattr(cast, who)
    response = login(user).get(f"/notes/{signed.pk}/")
    assert response.status_code == 404
    assert "Client reports" not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=str(user.pk), target_id=str(signed.pk)
    ).exists()
    assert not AuditEvent.objects.filter(action="note.view", actor_id=str(user.pk)).exists()


def test_draft_detail_shows_live_session_facts_and_edit_links_for_the_author(cast, login):
    draft = t.make_note(t.make_session(cast.client, cast.alice, minutes=30))
    page = login(cast.alice).get(f"/notes/{draft.pk}/").content.decode()
    assert "Draft, not signed" in page and "Edit draft" in page
    assert "Suggested CPT code" in page and "90832" in page


def test_an_unknown_note_is_404(cast, login):
    client = login(cast.alice)
    assert client.get("/notes/00000000-0000-0000-0000-000000000000/").status_code == 404
