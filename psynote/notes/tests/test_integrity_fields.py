"""Every value in a signed note's signature payload, changed behind the triggers, is named
by `psynote verify` as the model names it, although the note's check now reads its row as
plain values (`signed_notes.holds`) and turns to the model only when the row does not
hold. A signing time on a whole second, which the model writes without microseconds,
holds on the fast check too."""

from datetime import time

import pytest

from psynote import testing as t
from psynote.lib.tests import triggers
from psynote.notes import integrity, signed_notes
from psynote.notes.models import ProgressNote

CHANGED = "its content no longer matches its signed hash"


def _set(note: ProgressNote, column: str, value: object) -> None:
    # An UPDATE the triggers would refuse, each value stored as Django stores it.
    assert ProgressNote.objects.filter(pk=note.pk).update(**{column: value}) == 1


def _problems(cast) -> list[str]:
    return [str(p) for p in integrity.signed_records_problems(cast.practice.pk)]


@pytest.fixture
def note(cast) -> ProgressNote:
    signed = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    assert _problems(cast) == []
    triggers.disable()  # undone by the test's rollback
    return signed


@pytest.mark.parametrize("column, value", [
    ("signer_name", "Someone Else, PhD"),
    ("cpt_code", "90837"),
    ("template", "dap"),
    ("late_entry", True),
])
def test_a_changed_value_is_named(cast, note, column, value):
    _set(note, column, value)
    assert _problems(cast) == [f"progress note {note.pk}: {CHANGED}"]


def test_a_changed_author_or_signer_is_named(cast, note):
    for column in ("author_id", "signed_by_id"):
        _set(note, column, cast.bob.pk)
        assert _problems(cast) == [f"progress note {note.pk}: {CHANGED}"]
        _set(note, column, cast.alice.pk)
    assert _problems(cast) == []


def test_a_signing_time_moved_by_a_microsecond_is_named(cast, note):
    moved = ProgressNote.objects.get(pk=note.pk).signed_at.replace(microsecond=1)
    _set(note, "signed_at", moved)
    assert _problems(cast) == [f"progress note {note.pk}: {CHANGED}"]


def test_a_note_moved_to_another_session_is_named(cast, note):
    other = t.make_session(cast.client, cast.alice, start=time(15, 0))
    _set(note, "session_id", other.pk)
    assert _problems(cast) == [f"progress note {note.pk}: {CHANGED}"]


def test_a_note_moved_to_another_client_cannot_be_opened(cast, note):
    _set(note, "client_id", cast.other_client.pk)
    assert _problems(cast) == [
        f"progress note {note.pk}: its ciphertext was altered or moved from another row"
    ]


def test_a_signing_time_on_a_whole_second_holds(cast, note):
    # The model writes no microseconds then; the database's rendering must not either.
    whole = ProgressNote.objects.get(pk=note.pk).signed_at.replace(microsecond=0)
    _set(note, "signed_at", whole)
    resigned = ProgressNote.objects.select_related("client").get(pk=note.pk)
    _set(note, "content_hash", resigned.compute_hash())
    chained = {str(note.pk): resigned.compute_hash()}
    [row] = signed_notes.rows(cast.practice.pk)
    assert signed_notes.holds(row, signed_notes.ClientCiphers(cast.practice.pk), chained)
