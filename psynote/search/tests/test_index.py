"""The blind index: what it holds, and that it follows every write and destruction."""

import hashlib
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from psynote import cli
from psynote import testing as t
from psynote.notes import actions as note_actions
from psynote.records import retention_actions
from psynote.records.tests.conftest import signed_note_on
from psynote.search import terms
from psynote.search.models import IndexEntry
from psynote.search.psychotherapy import search_own
from psynote.search.queries import Filters, search_notes
from psynote.search.tests.conftest import note_with


def _found(user, query: str, **filters) -> list:
    return [hit.note.pk for hit in search_notes(user, Filters(query=query, **filters)).hits]


def _entries(note) -> set[int]:
    return set(IndexEntry.objects.filter(note=note).values_list("token", flat=True))


def test_normalisation_folds_case_accents_and_width():
    assert list(terms.terms("Café CAFÉ cafe ＣＡＦＥ the a")) == ["cafe"] * 4
    assert terms.query_terms("Sleep, sleep; SLEEP and dreams") == ["sleep", "dreams"]


def test_no_plaintext_term_in_the_index_table(cast):
    marker = "zorbulent"
    note_with(cast.client, cast.alice, f"The {marker} fear came back.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM search_indexentry")
        dumped = repr(cursor.fetchall()).lower()
    assert marker not in dumped and marker.encode().hex() not in dumped
    # Not an unkeyed hash either: nobody can compute a token without the client's key.
    unkeyed = {int.from_bytes(hashlib.sha256(marker.encode()).digest()[:8], "big",
                              signed=True)}
    assert not unkeyed & set(IndexEntry.objects.values_list("token", flat=True))


def test_one_word_gives_unrelated_tokens_for_two_clients(cast):
    first = note_with(cast.client, cast.alice, "Plinthwort")
    second = note_with(cast.other_client, cast.bob, "Plinthwort")
    assert _found(cast.alice, "plinthwort") == [first.pk]
    shared = _entries(first) & _entries(second)
    assert not shared  # no co-occurrence across clients in the table


def test_psychotherapy_note_text_is_never_indexed_for_others(cast, login):
    t.open_psychotherapy_notes(cast.alice)
    before = IndexEntry.objects.count()
    note_actions.write_psychotherapy_note(by=cast.alice, client=cast.client,
                                          body="Private grumbleweed countertransference.")
    assert IndexEntry.objects.count() == before
    for user in (cast.alice, cast.sam, cast.bob):
        assert _found(user, "grumbleweed") == []
    own = search_own(cast.alice, Filters(query="grumbleweed"))
    assert own is not None and len(own) == 1
    assert ("grumbleweed", True) in own[0].snippet


def test_own_psychotherapy_search_is_sealed_without_the_key(cast, login):
    t.open_psychotherapy_notes(cast.alice)
    note_actions.write_psychotherapy_note(by=cast.alice, client=cast.client,
                                          body="Private grumbleweed note.")
    from psynote.notes import keyring

    keyring.forget_all()
    assert search_own(cast.alice, Filters(query="grumbleweed")) is None
    page = login(cast.alice).post("/search/", {"q": "grumbleweed"})
    assert "sealed in this session" in page.content.decode()
    assert "grumbleweed" not in page.content.decode().replace('value="grumbleweed"', "")


def test_own_psychotherapy_notes_on_the_page_when_open(cast, login):
    browser = login(cast.alice)
    t.open_psychotherapy_notes(cast.alice, browser)
    pnote = note_actions.write_psychotherapy_note(by=cast.alice, client=cast.client,
                                                  body="Private grumbleweed note.")
    page = browser.post("/search/", {"q": "grumbleweed"}).content.decode()
    assert f"/psychotherapy-notes/{pnote.pk}/" in page
    assert "<mark>grumbleweed</mark>" in page


def test_addenda_are_found_and_marked(cast):
    note = note_with(cast.client, cast.alice, "Ordinary session.")
    note_actions.add_addendum(by=cast.alice, note=note, body="Late news: a snorkelbine letter.",
                              kind="late_information")
    hits = search_notes(cast.alice, Filters(query="snorkelbine")).hits
    assert [hit.note.pk for hit in hits] == [note.pk] and hits[0].in_addendum
    # AND across the note and its addendum
    assert _found(cast.alice, "ordinary snorkelbine") == [note.pk]
    assert _found(cast.sam, "snorkelbine") == []


def test_a_draft_edit_replaces_its_words(cast):
    note = note_with(cast.client, cast.alice, "Early vexillary wording.", sign=False)
    assert _found(cast.alice, "vexillary") == [note.pk]
    note_actions.save_draft(by=cast.alice, note=note,
                            changes={"sections": t.SOAP | {"subjective": "Now hyperbolic."}})
    assert _found(cast.alice, "vexillary") == []
    assert _found(cast.alice, "hyperbolic") == [note.pk]


def test_filters_by_date_and_template(cast):
    today = timezone.localdate()
    old = signed_note_on(cast.client, cast.alice, today - timedelta(days=30),
                         text="Tessellate early.")
    new = note_with(cast.client, cast.alice, "Tessellate dusk.", day=today - timedelta(days=2),
                    template="dap")
    assert _found(cast.alice, "tessellate") == [new.pk, old.pk]  # newest first
    assert _found(cast.alice, "tessellate", date_from=today - timedelta(days=10)) == [new.pk]
    assert _found(cast.alice, "tessellate", date_to=today - timedelta(days=10)) == [old.pk]
    assert _found(cast.alice, "tessellate", template="soap") == [old.pk]
    assert _found(cast.alice, "tessellate dusk") == [new.pk]


def test_destruction_deletes_the_index_entries_in_its_transaction(cast):
    client = t.make_client(cast.alice, first_name="Olden", last_name="Fictional",
                           date_of_birth=date(1970, 3, 3))
    note = signed_note_on(client, cast.alice, date(2017, 6, 1), text="Brimstonia dream.")
    kept = note_with(cast.client, cast.alice, "Brimstonia elsewhere.")
    assert sorted(_found(cast.alice, "brimstonia")) == sorted([note.pk, kept.pk])
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    assert _entries(note)
    done = retention_actions.confirm_destruction(by=cast.ada, destruction=destruction)
    assert not _entries(note)
    assert done.status == "done"
    assert _entries(kept)
    assert _found(cast.alice, "brimstonia") == [kept.pk]


def test_a_failed_destruction_keeps_the_entries(cast):
    client = t.make_client(cast.alice, first_name="Olden", last_name="Fictional",
                           date_of_birth=date(1970, 3, 3))
    note = signed_note_on(client, cast.alice, date(2017, 6, 1), text="Brimstonia dream.")
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    with pytest.raises(Exception, match="second person"):
        retention_actions.confirm_destruction(by=cast.pria, destruction=destruction)
    assert _entries(note)


def test_reindex_rebuilds_the_same_entries(cast, capsys):
    notes = [note_with(cast.client, cast.alice, "Quadrille one."),
             note_with(cast.other_client, cast.bob, "Quadrille two.")]
    note_actions.add_addendum(by=cast.alice, note=notes[0], body="Addendum farrago.")
    before = {note.pk: _entries(note) for note in notes}
    IndexEntry.objects.all().delete()
    assert _found(cast.alice, "quadrille") == []
    assert cli.main(["reindex"]) == 0
    assert "Search index rebuilt: 2 progress notes" in capsys.readouterr().out
    assert {note.pk: _entries(note) for note in notes} == before
    assert _found(cast.alice, "farrago") == [notes[0].pk]


def test_a_session_moved_to_another_day_moves_its_entries(cast):
    from psynote.visits import actions as visit_actions

    today = timezone.localdate()
    note = note_with(cast.client, cast.alice, "Pemmican draft.", sign=False)
    visit_actions.update_session(by=cast.alice, session=note.session,
                                 date=today - timedelta(days=40))
    assert _found(cast.alice, "pemmican", date_from=today - timedelta(days=10)) == []
    assert _found(cast.alice, "pemmican", date_to=today - timedelta(days=30)) == [note.pk]


def test_many_clients_are_searched_in_chunks_newest_first(cast, monkeypatch):
    from psynote.search import queries

    today = timezone.localdate()
    others = [t.make_client(cast.alice, first_name=f"C{i}", last_name="Fictional")
              for i in range(3)]
    notes = [note_with(client, cast.alice, "Jacquard weave.", day=today - timedelta(days=i),
                       sign=False)
             for i, client in enumerate([cast.client, *others])]
    expected = [note.pk for note in notes]
    assert _found(cast.alice, "jacquard weave") == expected
    monkeypatch.setattr(queries, "_MAX_TOKENS", 2)  # one client per query
    assert _found(cast.alice, "jacquard weave") == expected
    assert search_notes(cast.alice, Filters(query="jacquard")).candidates == 4


def test_a_note_deleted_outside_the_application_is_never_shown(cast):
    draft = note_with(cast.client, cast.alice, "Orphaned quincunx.", sign=False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notes_progressnote WHERE id = %s",
                       [draft._meta.pk.get_db_prep_value(draft.pk, connection)])
    assert IndexEntry.objects.filter(note_id=draft.pk).exists()
    assert _found(cast.alice, "quincunx") == []
    assert cli.main(["reindex"]) == 0
    assert not IndexEntry.objects.filter(note_id=draft.pk).exists()
