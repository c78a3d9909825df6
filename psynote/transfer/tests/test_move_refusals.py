"""A package that is damaged, altered, cut short, opened with the wrong passphrase, or meant
for a non-empty installation is refused with one sentence, before anything is written; an
import that fails half-way leaves the installation as empty as it was."""

import zipfile
from pathlib import Path

import pytest

from psynote import cli
from psynote.transfer import tables
from psynote.transfer.tests import fixture, moves

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """One package of the full practice, made once in a fresh SQLite installation."""
    tmp = tmp_path_factory.mktemp("move-package")
    made = tmp / "made.zip"
    moves.in_fresh_sqlite(tmp, "make", made, made)
    return made



def _import(path: Path, tmp_path: Path, passphrase: str = fixture.PASSPHRASE) -> int:
    secret = tmp_path / "passphrase"
    secret.write_text(passphrase)
    return cli.main(["import-practice", str(path), "--passphrase-file", str(secret)])


def _nothing_written(home: Path) -> None:
    for model in tables.carried_models():
        assert not model._base_manager.exists(), model._meta.db_table
    assert sorted(p.name for p in home.rglob("*")) == []


def _said(capsys, words: str) -> None:
    err = capsys.readouterr().err
    assert words in err, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 2  # the database line, then one sentence


def test_a_changed_file_is_refused(db, home, tmp_path, package, capsys) -> None:
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(changed, "w") as target:
        for name in source.namelist():
            body = source.read(name)
            if name == "tables/clients_client.sealed":
                body = body[:-1] + bytes([body[-1] ^ 1])
            target.writestr(name, body)
    assert _import(changed, tmp_path) == 1
    _said(capsys, "Nothing imported: the package is damaged or was altered (changed: "
                  "tables/clients_client.sealed")
    _nothing_written(home)


def test_a_truncated_package_is_refused(db, home, tmp_path, package, capsys) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(package.read_bytes()[: package.stat().st_size // 2])
    assert _import(cut, tmp_path) == 1
    _said(capsys, "Nothing imported: the package cannot be read")
    _nothing_written(home)


def test_the_wrong_passphrase_is_refused(db, home, tmp_path, package, capsys) -> None:
    assert _import(package, tmp_path, passphrase="not the passphrase at all") == 1
    _said(capsys, "the passphrase or key file does not open this package.")
    _nothing_written(home)


def test_verify_export_checks_the_package(package, tmp_path, capsys) -> None:
    assert cli.main(["verify-export", str(package)]) == 0
    assert "OK: the signature is valid" in capsys.readouterr().out
    cut = tmp_path / "cut.zip"
    cut.write_bytes(package.read_bytes()[:-100])
    assert cli.main(["verify-export", str(cut)]) == 1


def test_a_package_re_signed_with_another_key_is_refused(db, home, tmp_path, package,
                                                          capsys) -> None:
    """Someone who altered a file and signed the package with a key of their own: the
    signature holds, but the file is not the one sealed with the package's keys."""
    forged = tmp_path / "forged.zip"
    moves.resign(package, "tables/notes_progressnote.sealed", forged)
    assert cli.main(["verify-export", str(forged)]) == 0  # self-consistent, another key
    capsys.readouterr()
    assert _import(forged, tmp_path) == 1
    _said(capsys, "tables/notes_progressnote.sealed is not the file sealed with the "
                  "package's keys")
    _nothing_written(home)


def test_an_import_failing_half_way_leaves_nothing(db, home, tmp_path, package,
                                                   capsys) -> None:
    """The practice row goes in last; a duplicate of it fails after every other row is in."""
    broken = tmp_path / "broken.zip"

    def duplicate_practice(dumped: dict) -> None:
        rows = dumped["accounts_practice"]["rows"]
        rows.append(list(rows[0]))

    moves.repack(package, duplicate_practice, broken)
    assert _import(broken, tmp_path) == 1
    _said(capsys, "Nothing imported: the database refused the rows (")
    _nothing_written(home)


def test_an_installation_that_is_not_empty_is_refused(cast, home, tmp_path, package,
                                                      capsys) -> None:
    before = {m._meta.db_table: m._base_manager.count() for m in tables.carried_models()}
    assert _import(package, tmp_path) == 1
    _said(capsys, "this installation is not empty (accounts_practice holds rows)")
    assert before == {m._meta.db_table: m._base_manager.count() for m in tables.carried_models()}
