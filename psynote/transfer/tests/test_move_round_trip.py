"""A practice moves with everything: the full demo practice, plus every kind of record the
demo lacks, goes to a fresh SQLite installation and back, and from one to this engine
(so the PostgreSQL run covers PostgreSQL → SQLite and SQLite → PostgreSQL)."""

import stat
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from psynote import cli
from psynote.audit.verify import check_practice
from psynote.clients.models import Client
from psynote.demo import PASSWORD
from psynote.notes.integrity import signed_records_problems
from psynote.notes.models import PsychotherapyKey
from psynote.records.models import LegalHold
from psynote.transfer import tables
from psynote.transfer.tests import fixture, moves

pytestmark = pytest.mark.timeout(900)



@pytest.fixture
def passphrase_file(tmp_path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(fixture.PASSPHRASE)
    return path


def _export(out: Path, passphrase_file: Path) -> None:
    assert cli.main(["export-practice", str(out), "--passphrase-file", str(passphrase_file)]) == 0


def test_the_full_practice_moves_to_a_fresh_sqlite_installation_and_back(
        db, home, tmp_path, passphrase_file, capsys) -> None:
    fixture.full_practice()
    empty = [m._meta.db_table for m in tables.carried_models() if not m._base_manager.exists()]
    assert empty == [], "the fixture must hold every kind of record"
    here = fixture.opened_texts()
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    _export(first, passphrase_file)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600

    there = moves.in_fresh_sqlite(tmp_path, "import", first, second)

    assert there["texts"] == here and len(here) > 200
    assert there["psychotherapy_keys_open"] and all(there["psychotherapy_keys_open"])
    # The target recorded its import and its export: nothing else changed.
    moves.assert_same_record(first, second, events_added=2)


def test_a_practice_made_on_sqlite_moves_to_this_engine(db, home, tmp_path,
                                                         passphrase_file) -> None:
    made, again = tmp_path / "made.zip", tmp_path / "again.zip"
    there = moves.in_fresh_sqlite(tmp_path, "make", made, made)

    assert cli.main(["import-practice", str(made), "--passphrase-file",
                     str(passphrase_file)]) == 0

    practice_id = Client.objects.values_list("practice_id", flat=True).first()
    check = check_practice(practice_id)
    assert check.problems == [] and check.intact
    assert list(signed_records_problems(practice_id)) == []
    assert fixture.opened_texts() == there["texts"]
    author = PsychotherapyKey.objects.get(user__username="clinician")
    assert author.open_with_password(PASSWORD) is not None
    _export(again, passphrase_file)
    moves.assert_same_record(made, again, events_added=2)
    assert moves.read(again)[0]["move"]["vendor"] == connection.vendor
    # New rows get new numbers: the sequences were moved past the imported ids.
    hold = LegalHold.objects.first()
    LegalHold.objects.create(client=hold.client, reason="Fictional.", placed_by=hold.placed_by)


def test_nothing_in_the_package_is_in_clear(db, home, tmp_path, passphrase_file) -> None:
    fixture.full_practice()
    out = tmp_path / "new-folder" / "package.zip"
    previous = __import__("os").umask(0o022)
    try:
        _export(out, passphrase_file)
    finally:
        __import__("os").umask(previous)
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    names = [c.last_name for c in Client.objects.all()] + ["Demoworth", "Privacyworth"]
    with zipfile.ZipFile(out) as archive:
        for member in archive.namelist():
            body = archive.read(member)
            if member in ("manifest.json", "manifest.sig", "README.txt"):
                continue
            assert not any(name.encode() in body for name in names), member
