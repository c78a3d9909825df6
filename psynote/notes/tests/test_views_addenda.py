"""Addenda under signed notes: in order, signed on adding, from the client's care team."""

import pytest

from psynote import testing as t
from psynote.clients import actions as client_actions
from psynote.notes.models import Addendum, ProgressNote


@pytest.fixture
def signed(cast):
    return t.make_note(t.make_session(cast.client, cast.alice), sign=True)


def test_addenda_appear_in_the_order_they_were_signed(cast, login, signed):
    client = login(cast.alice)
    for kind, body in (
        ("correction", "First fictional correction."),
        ("late_information", "Second: fictional lab result arrived."),
        ("clarification", "Third: fictional clarification."),
    ):
        response = client.post(f"/notes/{signed.pk}/addenda/", {"kind": kind, "body": body})
        assert response.status_code == 302 and response.url == f"/notes/{signed.pk}/"
    page = client.get(f"/notes/{signed.pk}/").content.decode()
    first, second, third = (
        page.index("First fictional"),
        page.index("Second: fictional"),
        page.index("Third: fictional"),
    )
    assert first < second < third
    assert "Later information" in page and "Clarification" in page
    assert page.count("Electronically signed by") == 4  # the note and three addenda
    assert list(Addendum.objects.filter(note=signed).values_list("kind", flat=True)) == [
        "correction",
        "late_information",
        "clarification",
    ]


def test_adding_an_addendum_leaves_the_signed_note_alone(cast, login, signed):
    before = (bytes(signed.content_ct), signed.content_hash)
    login(cast.alice).post(f"/notes/{signed.pk}/addenda/", {"body": "Fictional correction."})
    note = ProgressNote.objects.get(pk=signed.pk)
    assert (bytes(note.content_ct), note.content_hash) == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "correction", "body": "   "}, "the addendum is empty"),
        ({"kind": "rewrite", "body": "Fictional."}, "kind must be one of"),
        ({"kind": "correction", "body": "x" * 50_001}, "longer than"),
    ],
)
def test_bad_addendum_is_refused_with_400(cast, login, signed, data, message):
    response = login(cast.alice).post(f"/notes/{signed.pk}/addenda/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Addendum.objects.filter(note=signed).exists()


def test_a_draft_takes_no_addendum(cast, login):
    draft = t.make_note(t.make_session(cast.client, cast.alice))
    response = login(cast.alice).post(f"/notes/{draft.pk}/addenda/", {"body": "Fictional."})
    assert response.status_code == 400
    assert not Addendum.objects.filter(note=draft).exists()


def test_a_colleague_on_the_care_team_may_add_an_addendum(cast, login, signed):
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    client = login(cast.bob)
    assert "Add an addendum" in client.get(f"/notes/{signed.pk}/").content.decode()
    response = client.post(f"/notes/{signed.pk}/addenda/", {"body": "Fictional follow-up."})
    assert response.status_code == 302
    assert Addendum.objects.get(note=signed).author == cast.bob


def test_supervisor_reading_a_supervisees_note_cannot_add_an_addendum(cast, login):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    response = login(cast.sam).post(f"/notes/{note.pk}/addenda/", {"body": "Fictional."})
    assert response.status_code == 404
    assert not Addendum.objects.filter(note=note).exists()


@pytest.mark.parametrize("who", ["bob", "ada", "fred", "pria"])
def test_anyone_off_the_care_team_cannot_add_an_addendum(cast, login, signed, who):
    response = login(getattr(cast, who)).post(
        f"/notes/{signed.pk}/addenda/", {"body": "Fictional."}
    )
    assert response.status_code == 404
    assert not Addendum.objects.filter(note=signed).exists()


def test_addenda_refuse_get(cast, login, signed):
    assert login(cast.alice).get(f"/notes/{signed.pk}/addenda/").status_code == 405
