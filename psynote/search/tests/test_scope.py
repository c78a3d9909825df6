"""Who searches what: the notes each user may read, nothing else (ADR 0016)."""

import json

import pytest
from django.urls import reverse

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.clients import emergency
from psynote.search.queries import Filters, search_notes
from psynote.search.tests.conftest import note_with

API = "/api/v1/search"


def _found(user, query: str, **filters) -> set:
    return {hit.note.pk for hit in search_notes(user, Filters(query=query, **filters)).hits}


def test_a_clinician_finds_only_her_own_clients_notes(cast, notes):
    assert _found(cast.alice, "quillotine") == {notes["alice"].pk}
    assert _found(cast.bob, "QUILLOTINE") == {notes["bob"].pk}


def test_a_supervisor_finds_the_supervisees_clients_notes(cast, notes):
    assert _found(cast.sam, "quillotine") == {notes["sue"].pk}
    assert _found(cast.sue, "quillotine") == {notes["sue"].pk}


def test_an_emergency_grant_opens_a_chart_not_a_search(cast, notes):
    emergency.break_glass(by=cast.alice, client=cast.other_client,
                                    reason="Fictional crisis call on a weekend.")
    assert _found(cast.alice, "quillotine") == {notes["alice"].pk}


@pytest.mark.parametrize("who", ["ada", "fred", "pria"])
def test_other_roles_get_404_on_page_and_api(cast, notes, login, who):
    browser = login(getattr(cast, who))
    assert browser.get(reverse("search")).status_code == 404
    assert browser.post(reverse("search"), {"q": "quillotine"}).status_code == 404
    answer = browser.post(API, json.dumps({"q": "quillotine"}), content_type="application/json")
    assert answer.status_code == 404
    assert b"quillotine" not in answer.content.lower()
    refused = AuditEvent.objects.filter(action="access.denied", actor_id=getattr(cast, who).pk)
    assert refused.exists()


def test_a_client_filter_outside_access_is_a_404(cast, notes, login):
    browser = login(cast.alice)
    answer = browser.post(API, json.dumps({"q": "quillotine", "client": str(cast.other_client.pk)}),
                          content_type="application/json")
    assert answer.status_code == 404
    answer = browser.post(reverse("search"), {"q": "quillotine",
                                              "client": str(cast.other_client.pk)})
    assert answer.status_code == 404


def test_the_page_shows_snippets_linking_to_the_note(cast, notes, login):
    page = login(cast.alice).post(reverse("search"), {"q": "quillotine dream"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("note_detail", kwargs={"note_id": notes["alice"].pk}) in html
    assert "<mark>quillotine</mark>" in html and "<mark>dream</mark>" in html
    assert str(notes["bob"].pk) not in html and str(notes["sue"].pk) not in html


def test_the_api_answers_the_same(cast, notes, login):
    answer = login(cast.sam).post(API, json.dumps({"q": "quillotine"}),
                                  content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert [hit["note"] for hit in body["hits"]] == [str(notes["sue"].pk)]
    assert any(piece["match"] for piece in body["hits"][0]["snippet"])
    assert body["own_psychotherapy_notes"] is None


def test_every_search_is_audited_without_its_words(cast, notes, login):
    login(cast.alice).post(reverse("search"), {"q": "quillotine dream"})
    event = AuditEvent.objects.get(action="search.run", actor_id=cast.alice.pk)
    detail = json.loads(event.detail) if isinstance(event.detail, str) else event.detail
    assert detail["words"] == 2 and detail["candidates"] == 1
    stored = json.dumps([list(AuditEvent.objects.values_list("detail", "target_id"))],
                        default=str)
    assert "quillotine" not in stored.lower()


@pytest.mark.parametrize("form, message", [
    ({"q": "   "}, "at least one word"),
    ({"q": "the and"}, "at least one word"),
    ({"q": "x" * 201}, "longer than 200"),
    ({"q": "quillotine", "from": "2026-13-01"}, "start date must be a date"),
    ({"q": "quillotine", "from": "2026-02-01", "to": "2026-01-01"}, "after the end date"),
    ({"q": "quillotine", "template": "nope"}, "template must be one of"),
    ({"q": "quillotine", "client": "not-a-uuid"}, None),
])
def test_bad_input_is_a_clear_error(cast, notes, login, form, message):
    answer = login(cast.alice).post(reverse("search"), form)
    if message is None:
        assert answer.status_code == 404
    else:
        assert answer.status_code == 400
        assert message in answer.content.decode()


def test_bad_api_input_is_a_400(cast, notes, login):
    browser = login(cast.alice)
    for body in ({"q": ""}, {"q": "quillotine", "template": "nope"}, {"q": "a", "limit": 0},
                 {"q": "quillotine", "date_from": "yesterday"}, {"q": "x", "extra": 1}):
        answer = browser.post(API, json.dumps(body), content_type="application/json")
        assert answer.status_code == 400, body


def test_a_supervisor_reads_but_the_supervisee_also_keeps_drafts_searchable(cast):
    draft = note_with(cast.supervisee_client, cast.sue, "Unsigned quokkalore draft.", sign=False)
    assert _found(cast.sue, "quokkalore") == {draft.pk}
    assert _found(cast.sam, "quokkalore") == {draft.pk}
    assert _found(cast.alice, "quokkalore") == set()


def test_a_new_client_of_alice_is_searchable_at_once(cast):
    other = t.make_client(cast.alice, first_name="Dana", last_name="Fictional")
    note = note_with(other, cast.alice, "Marmalisk in the subjective.")
    assert _found(cast.alice, "marmalisk") == {note.pk}
    assert _found(cast.alice, "marmalisk", client_id=other.pk) == {note.pk}
    assert _found(cast.alice, "marmalisk", client_id=cast.client.pk) == set()
