"""Practice export -> import into an empty install of the OTHER database engine
(SQLite -> PostgreSQL when the suite runs on SQLite, PostgreSQL -> SQLite when it runs on
PostgreSQL), then back again into a fresh install of the first engine: every chart,
signed note (with its hash), addendum and score is identical, `psynote verify` passes
there, and the import is in the audit log."""

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from psynote.audit.models import AuditEvent
from psynote.exchange.fhir import bulk, importer
from psynote.exchange.fhir.record import canonical_record
from psynote.exchange.tests.test_fhir_export import make_record

ROOT = Path(__file__).resolve().parents[3]
WITH_POSTGRES = ROOT / "scripts" / "with-postgres"

# Runs in a fresh install: migrate, import, dump the record, export again, verify.
SCRIPT = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", interactive=False, verbosity=0)
from psynote.audit.models import AuditEvent
from psynote.exchange.fhir import bulk
from psynote.exchange.fhir.record import canonical_record
source, dump, again = sys.argv[1:4]
from psynote.accounts.models import Practice
from psynote.cli import main
assert main(["import-fhir", source]) == 0
practice = Practice.objects.get()
record = canonical_record(practice)
events = list(AuditEvent.objects.filter(action="import.practice").values_list("detail", flat=True))
with open(dump, "w") as out:
    json.dump({"engine": connection.vendor, "record": record, "import_events": events}, out)
bulk.practice_bulk(practice, again)
sys.exit(main(["verify"]))
"""


def _fresh_env(**extra: str) -> dict[str, str]:
    # A fresh installation: none of this run's database, nor its replica (scripts/with-replica).
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "PSYNOTE_REPLICA_DATABASE_URL")}
    env.update({
        "PSYNOTE_HOME": tempfile.mkdtemp(prefix="psynote-import-"),
        "PSYNOTE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PSYNOTE_FAST_HASHER": "1",
        "DJANGO_SETTINGS_MODULE": "psynote.settings",
        **extra,
    })
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _import_into_sqlite(source: Path, dump: Path, again: Path) -> str:
    return _run([sys.executable, "-c", SCRIPT, str(source), str(dump), str(again)],
                _fresh_env()).stdout


def _import_into_postgres(source: Path, dump: Path, again: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:  # the suite runs on SQLite: a throwaway PostgreSQL cluster of its own
        return _run([str(WITH_POSTGRES), sys.executable, "-c", SCRIPT, str(source),
                     str(dump), str(again)], _fresh_env()).stdout
    import psycopg

    name = f"psynote_import_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            target = urlparse(url)._replace(path=f"/{name}").geturl()
            return _run([sys.executable, "-c", SCRIPT, str(source), str(dump), str(again)],
                        _fresh_env(DATABASE_URL=target)).stdout
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _comparable(record: dict) -> str:
    return json.dumps(record, sort_keys=True)


def test_practice_round_trips_to_the_other_engine_and_back_identically(cast, tmp_path
                                                                       ) -> None:
    from django.db import connection

    make_record(cast)
    original = json.loads(json.dumps(canonical_record(cast.practice)))
    assert original["note"] and original["addendum"] and original["administration"]
    first = tmp_path / "export-1"
    bulk.practice_bulk(cast.practice, first)

    here_is_postgres = connection.vendor == "postgresql"
    there, back = ((_import_into_sqlite, _import_into_postgres) if here_is_postgres
                   else (_import_into_postgres, _import_into_sqlite))
    out = there(first, tmp_path / "dump-1.json", tmp_path / "export-2")
    assert "OK: every audit chain and every signed record is intact." in out
    dump = json.loads((tmp_path / "dump-1.json").read_text())
    assert dump["engine"] == ("sqlite" if here_is_postgres else "postgresql")
    assert _comparable(dump["record"]) == _comparable(original)
    assert len(dump["import_events"]) == 1
    detail = json.loads(dump["import_events"][0])
    assert detail["counts"]["note"] == 2 and detail["counts"]["addendum"] == 2

    out = back(tmp_path / "export-2", tmp_path / "dump-2.json", tmp_path / "export-3")
    assert "OK: every audit chain and every signed record is intact." in out
    dump = json.loads((tmp_path / "dump-2.json").read_text())
    assert dump["engine"] == connection.vendor
    assert _comparable(dump["record"]) == _comparable(original)


def test_import_refuses_an_installation_that_is_not_empty(cast, tmp_path) -> None:
    make_record(cast)
    bulk.practice_bulk(cast.practice, tmp_path)
    before = AuditEvent.objects.count()
    with pytest.raises(importer.ImportRefused, match="not empty"):
        importer.import_practice(tmp_path)
    assert AuditEvent.objects.count() == before


def test_import_refuses_an_export_changed_after_it_was_written(cast, tmp_path) -> None:
    make_record(cast)
    bulk.practice_bulk(cast.practice, tmp_path)
    path = tmp_path / "DocumentReference.ndjson"
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(importer.ImportRefused, match="DocumentReference.ndjson changed"):
        importer.import_practice(tmp_path)


def test_import_refuses_a_folder_that_is_not_a_psynote_export(db, tmp_path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"output": [], "error": []}))
    with pytest.raises(importer.ImportRefused, match="not a Psynote practice export"):
        importer.import_practice(tmp_path)


def test_export_practice_command_writes_the_folder_and_audits_it(cast, tmp_path) -> None:
    from psynote import cli

    make_record(cast)
    assert cli.main(["export-fhir", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "manifest.json").exists()
    assert AuditEvent.objects.filter(action="export.practice").count() == 1
    assert cli.main(["import-fhir", str(tmp_path / "out")]) == 1  # not empty here


def test_export_practice_writes_only_owner_readable_files(cast, tmp_path) -> None:
    """0600 files in 0700 folders, even when the operator's umask would allow more."""
    import os
    import stat

    from psynote import cli

    make_record(cast)
    previous = os.umask(0o022)
    try:
        assert cli.main(["export-fhir", str(tmp_path / "out")]) == 0
    finally:
        os.umask(previous)
    paths = [tmp_path / "out", *(tmp_path / "out").rglob("*")]
    assert len(paths) > 2
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
