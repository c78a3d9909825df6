"""A practice move carries the index (every table goes) and the index still works there:
its keys derive from the client keys, which the move carries unchanged inside new
wrappings (ADR 0010, ADR 0016)."""

import pytest
from django.db.models import F

from psynote import cli
from psynote.clients.models import SHREDDED_KEY
from psynote.notes.models import ProgressNote
from psynote.search import terms
from psynote.search.index import rebuild
from psynote.search.models import IndexEntry
from psynote.search.queries import Filters, search_notes
from psynote.transfer.tests import fixture, moves

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    settings.ANCHOR_DIR = settings.HOME / "anchors"
    settings.HOME.mkdir()
    return settings.HOME


def test_an_imported_practice_has_a_working_index(db, home, tmp_path):
    made = tmp_path / "made.zip"
    moves.in_fresh_sqlite(tmp_path, "make", made, made)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(fixture.PASSPHRASE)
    assert cli.main(["import-practice", str(made), "--passphrase-file", str(passphrase)]) == 0

    imported = sorted(IndexEntry.objects.values_list("note_id", "token"))
    assert imported
    rebuild()
    assert sorted(IndexEntry.objects.values_list("note_id", "token")) == imported

    note = (ProgressNote.objects.signed().exclude(client__wrapped_key=SHREDDED_KEY)
            .filter(client__care_team__user=F("author"))
            .select_related("author", "client").first())
    word = next(terms.terms(" ".join(terms.content_texts(note.content()))))
    found = search_notes(note.author, Filters(query=word, limit=100))
    assert note.pk in {hit.note.pk for hit in found.hits} or found.candidates > 100
