"""Psychotherapy notes: a separate tab, readable and writable by their author alone."""

import pytest

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.clients import actions as client_actions
from psynote.notes.models import PsychotherapyNote

PROCESS_NOTE = "Fictional process note: the pause before talking about the sister."


@pytest.fixture
def pnote(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.open_psychotherapy_notes(cast.alice, login(cast.alice))
    response = login(cast.alice).post(
        f"/clients/{cast.client.pk}/psychotherapy-notes/",
        {"body": PROCESS_NOTE, "session": str(session.pk)},
    )
    assert response.status_code == 302
    return PsychotherapyNote.objects.get(author=cast.alice)


def test_the_tab_explains_what_belongs_here_and_what_goes_in_the_progress_note(cast, login):
    response = login(cast.alice).get(f"/clients/{cast.client.pk}/psychotherapy-notes/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "only you can read them" in page
    for text in (
        "medication",
        "start and stop times",
        "modalities and frequency",
        "clinical tests",
        "diagnosis",
        "functional status",
        "treatment plan",
        "prognosis",
        "never exported",
    ):
        assert text in page, text


def test_the_author_writes_lists_and_reads_a_psychotherapy_note(cast, login, pnote):
    client = login(cast.alice)
    assert pnote.client == cast.client and pnote.session is not None
    assert (
        PROCESS_NOTE
        in client.get(f"/clients/{cast.client.pk}/psychotherapy-notes/").content.decode()
    )
    assert PROCESS_NOTE in client.get(f"/psychotherapy-notes/{pnote.pk}/").content.decode()
    assert AuditEvent.objects.filter(
        action="psychotherapy_note.list", actor_id=str(cast.alice.pk)
    ).exists()
    assert (
        AuditEvent.objects.filter(action="psychotherapy_note.view", target_id=str(pnote.pk)).count()
        == 1
    )


def test_the_author_edits_a_psychotherapy_note(cast, login, pnote):
    response = login(cast.alice).post(
        f"/psychotherapy-notes/{pnote.pk}/", {"body": "Fictional revised reflection."}
    )
    assert response.status_code == 302
    assert PsychotherapyNote.objects.get(pk=pnote.pk).body() == "Fictional revised reflection."


def test_an_empty_edit_is_refused_and_changes_nothing(cast, login, pnote):
    response = login(cast.alice).post(f"/psychotherapy-notes/{pnote.pk}/", {"body": "  "})
    assert response.status_code == 400 and "empty" in response.content.decode()
    assert PsychotherapyNote.objects.get(pk=pnote.pk).body() == PROCESS_NOTE


@pytest.mark.parametrize(
    "data, message",
    [
        ({"body": ""}, "empty"),
        ({"body": "Fictional.", "session": "not-a-session"}, "Choose one of this client"),
        ({"body": "x" * 50_001}, "longer than"),
    ],
)
def test_bad_new_psychotherapy_note_is_refused(cast, login, data, message):
    t.open_psychotherapy_notes(cast.alice, login(cast.alice))
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/psychotherapy-notes/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not PsychotherapyNote.objects.exists()


def test_a_session_of_another_client_is_refused(cast, login):
    client_actions.add_care_team_member(by=cast.ada, client=cast.other_client, user=cast.alice)
    other_session = t.make_session(cast.other_client, cast.bob)
    t.open_psychotherapy_notes(cast.alice, login(cast.alice))
    response = login(cast.alice).post(
        f"/clients/{cast.client.pk}/psychotherapy-notes/",
        {"body": "Fictional.", "session": str(other_session.pk)},
    )
    assert response.status_code == 400
    assert not PsychotherapyNote.objects.exists()


@pytest.mark.parametrize("who", ["bob", "sam", "ada", "fred", "pria"])
def test_nobody_else_reads_or_edits_a_psychotherapy_note(cast, login, pnote, who):
    user = getattr(cast, who)
    client = login(user)
    response = client.get(f"/psychotherapy-notes/{pnote.pk}/")
    assert response.status_code == 404 and PROCESS_NOTE not in response.content.decode()
    assert (
        client.post(f"/psychotherapy-notes/{pnote.pk}/", {"body": "Overwritten"}).status_code == 404
    )
    assert PsychotherapyNote.objects.get(pk=pnote.pk).body() == PROCESS_NOTE
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=str(user.pk), target_id=str(pnote.pk)
    ).exists()
    # Their own tab for the client is a 404 unless they are on its care team.
    listing = client.get(f"/clients/{cast.client.pk}/psychotherapy-notes/")
    assert listing.status_code == 404 and PROCESS_NOTE not in listing.content.decode()


def test_a_colleague_on_the_same_care_team_never_sees_it(cast, login, pnote):
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    client = login(cast.bob)
    listing = client.get(f"/clients/{cast.client.pk}/psychotherapy-notes/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert PROCESS_NOTE not in page and str(pnote.pk) not in page
    assert "You have no psychotherapy notes for this client" in page
    assert client.get(f"/psychotherapy-notes/{pnote.pk}/").status_code == 404


def test_it_never_appears_in_the_progress_note(cast, login, pnote):
    note = t.make_note(pnote.session, sign=True)
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    for user in (cast.alice, cast.bob):
        page = login(user).get(f"/notes/{note.pk}/").content.decode()
        assert PROCESS_NOTE not in page
