"""One practice of two: exported with none of the other's rows, deleted with the other
untouched (its rows, users and audit chain), and imported back beside it (ADR 0010,
"Several practices"). Practice A is the access table's (`records`), practice B the
second practice of the cross-practice access test, with a marker word in its client's name
and in its note."""

import json
from pathlib import Path

import pytest
from django.db.models import Q

from psynote import cli
from psynote.accounts.models import Practice, User
from psynote.audit import log
from psynote.audit.chain import verify_practice
from psynote.tests.test_access_across_practices import B_WORD, second_practice
from psynote.tests.test_access_table import records as records  # noqa: F401 (a fixture)
from psynote.transfer import remove, scope, tables
from psynote.transfer.tests import fixture, moves


def test_every_carried_table_reaches_a_practice() -> None:
    for model in tables.carried_models():
        assert scope.path_to_practice(model), model._meta.db_table


@pytest.fixture
def two(home, records, tmp_path):  # noqa: F811
    """Practice A (the access table's records) and B, whose client is named B_WORD."""
    b = second_practice()
    b.client.last_name = B_WORD
    b.client.save(update_fields=["last_name"])
    secret = tmp_path / "passphrase"
    secret.write_text(fixture.PASSPHRASE)
    return records.cast.practice, b, secret


def _rows(practice_id: int) -> dict[str, list]:
    """Each table's rows of the practice, without the values wrapped by the master key
    (wrapped again on import, so with a new nonce)."""
    wrapped = {(table, column) for table, column, *_ in tables.MASTER_WRAPPED}
    wrapped.add(("audit_chainhead", "key_wrapped"))
    found = {}
    for model in tables.carried_models():
        table = model._meta.db_table
        dumped = tables.dump(model, scope.of_practice(model, practice_id))
        keep = [n for n, c in enumerate(dumped["columns"]) if (table, c) not in wrapped]
        found[table] = [[row[n] for n in keep] for row in dumped["rows"]]
    return found


def _ids(dumped: dict) -> dict[str, set]:
    return {table: {row[d["columns"].index(tables.model_for(table)._meta.pk.attname)]
                    for row in d["rows"]} for table, d in dumped.items()}


def _export(out: Path, practice: Practice, secret: Path) -> None:
    assert cli.main(["export-practice", str(out), "--practice", str(practice.pk),
                     "--passphrase-file", str(secret)]) == 0


def _of_some_practice(model: type) -> Q | None:
    """Leaves out what belongs to the installation and no move carries (ADR 0017): operators
    and the installation's own audit chain."""
    if model is User:
        return Q(practice__isnull=False)
    if model._meta.app_label == "audit" and any(
            f.attname == "practice_id" for f in model._meta.concrete_fields):
        return ~Q(practice_id=log.INSTALLATION_CHAIN)
    return None


def test_every_row_belongs_to_exactly_one_practice(two) -> None:
    a, b, _ = two
    for model in tables.carried_models():
        table = model._meta.db_table
        rows_a = {table: tables.dump(model, scope.of_practice(model, a.pk))["rows"]}
        rows_b = {table: tables.dump(model, scope.of_practice(model, b.practice.pk))["rows"]}
        everything = tables.dump(model, _of_some_practice(model))["rows"]
        assert sorted(map(json.dumps, rows_a[table] + rows_b[table])) == sorted(
            map(json.dumps, everything)), table
    # The check is not empty: most tables hold rows of A, and a dozen rows of both.
    of_a, of_b = _rows(a.pk), _rows(b.practice.pk)
    assert len([t for t, rows in of_a.items() if rows]) >= 30
    assert len([t for t, rows in of_a.items() if rows and of_b[t]]) >= 12


def test_an_export_of_one_practice_carries_nothing_of_the_other(two, tmp_path) -> None:
    a, b, secret = two
    out = tmp_path / "a.zip"
    _export(out, a, secret)
    manifest, _, dumped = moves.read(out)
    assert manifest["practice"]["id"] == a.pk
    text = json.dumps(dumped)
    for marker in (B_WORD, str(b.client.pk), str(b.note.pk), f'"{b.bea.username}"',
                   b.practice.name):
        assert marker not in text, marker
    # Exactly practice A's rows, table by table.
    here = {m._meta.db_table: tables.dump(m, scope.of_practice(m, a.pk))
            for m in tables.carried_models()}
    assert _ids(dumped) == _ids(here)
    assert _ids(dumped)["accounts_practice"] == {a.pk}
    # Several practices and no --practice: the operator is asked which.
    assert cli.main(["export-practice", str(tmp_path / "x.zip"),
                     "--passphrase-file", str(secret)]) == 2


def test_delete_one_practice_then_import_it_back_beside_the_other(two, tmp_path,
                                                                  capsys) -> None:
    a, b, secret = two
    a_id, a_name = a.pk, a.name
    before_b = _rows(b.practice.pk)
    users_b = sorted(User.objects.filter(practice=b.practice).values_list("username",
                                                                          flat=True))
    out = tmp_path / "a.zip"
    _export(out, a, secret)
    exported = _rows(a_id)

    assert cli.main(["delete-practice", "--practice", str(a_id), "--confirm", a_name,
                     "--export", str(out)]) == 0
    assert "untouched" in capsys.readouterr().out
    assert not any(_rows(a_id).values())
    assert not Practice.objects.filter(pk=a_id).exists()
    assert _rows(b.practice.pk) == before_b
    assert verify_practice(b.practice.pk).breaks == []
    tombstone = [json.loads(line) for line in
                 remove.tombstone_path().read_text().splitlines()]
    assert [(t["event"], t["practice_id"], t["practice_name"]) for t in tombstone] == [
        ("practice.deleted", a_id, a_name)]
    assert tombstone[0]["rows"]["notes_progressnote"] == len(exported["notes_progressnote"])
    for clinical in ("Avery", "Fictional process note", "fictional week"):
        assert clinical not in remove.tombstone_path().read_text()

    assert cli.main(["import-practice", str(out), "--passphrase-file", str(secret)]) == 0
    back = _rows(a_id)
    # Every row as exported; the chain grew by the import's own event.
    for table, rows in exported.items():
        if table == "audit_auditevent":
            assert back[table][: len(rows)] == rows and len(back[table]) == len(rows) + 1
        elif table != "audit_chainhead":
            assert back[table] == rows, table
    assert _rows(b.practice.pk) == before_b
    assert sorted(User.objects.filter(practice=b.practice).values_list(
        "username", flat=True)) == users_b
    capsys.readouterr()
    assert cli.main(["verify"]) == 0
    assert "OK: every audit chain and every signed record is intact" in capsys.readouterr().out


def test_delete_is_refused_without_a_current_export_or_the_name(two, tmp_path,
                                                                capsys) -> None:
    a, b, secret = two
    out = tmp_path / "a.zip"
    _export(out, a, secret)
    log.record(practice_id=a.pk, action="practice.settings", target_type="practice",
               target_id=a.pk, detail={})
    before = _rows(a.pk)
    refusals = [
        (["--confirm", "Not its name", "--export", str(out)], "must be the practice's name"),
        (["--confirm", a.name], "give the practice's export"),
        (["--confirm", a.name, "--export", str(out)], "changed since"),
        (["--confirm", a.name, "--export", str(tmp_path / "missing.zip")], "cannot be read"),
    ]
    for extra, words in refusals:
        assert cli.main(["delete-practice", "--practice", str(a.pk), *extra]) == 1
        err = capsys.readouterr().err
        assert "Nothing deleted" in err and words in err, err
    b_out = tmp_path / "b.zip"
    _export(b_out, b.practice, secret)
    assert cli.main(["delete-practice", "--practice", str(a.pk), "--confirm", a.name,
                     "--export", str(b_out)]) == 1
    assert "export of another practice" in capsys.readouterr().err
    assert _rows(a.pk) == before
    assert not remove.tombstone_path().exists()
    # Said plainly, it goes without an export.
    assert cli.main(["delete-practice", "--practice", a.name, "--confirm", a.name,
                     "--no-export-needed"]) == 0
    assert not any(_rows(a.pk).values())
    assert verify_practice(b.practice.pk).breaks == []


def test_an_installation_holding_another_practice_takes_only_a_practice_deleted_from_it(
        two, tmp_path, capsys) -> None:
    """The package of practice B into this installation, from which B was never deleted:
    refused in one sentence, nothing written, A and B as they were."""
    a, b, secret = two
    out = tmp_path / "b.zip"
    _export(out, b.practice, secret)
    before = (_rows(a.pk), _rows(b.practice.pk))
    capsys.readouterr()
    assert cli.main(["import-practice", str(out), "--passphrase-file", str(secret)]) == 1
    assert "this installation is not empty" in capsys.readouterr().err
    assert (_rows(a.pk), _rows(b.practice.pk)) == before
