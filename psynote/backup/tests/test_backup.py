"""`psynote backup` and `restore`, run as the operator runs them: separate processes on
real data folders, on the engine of the suite's run (SQLite, or new databases on the test
PostgreSQL server when DATABASE_URL is set).

The source installation is backed up while another process keeps signing notes through
the actions; every note committed before the backup started must come back, and the
restored audit chain must verify.
"""

import base64
import io
import json
import os
import secrets
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from psynote.backup import container
from psynote.lib.tests.at_rest import ROOT

PASSPHRASE = "fictional backup passphrase"

WRITER = """
import sys, time
from pathlib import Path
import django
django.setup()
from psynote import testing as t
from psynote.accounts.models import Practice
log, stop = Path(sys.argv[1]), Path(sys.argv[2])
alice = t.make_user(Practice.objects.get(), "alice")
client = t.make_client(alice)
written = 0
while not stop.exists() and written < 2000:
    session = t.make_session(client, alice)
    note = t.make_note(session, sign=True)  # committed when it returns
    written += 1
    with log.open("a") as out:
        out.write(f"{note.pk}\\n")
"""

NOTE_IDS = """
import json, django
django.setup()
from psynote.notes.models import ProgressNote
print(json.dumps(sorted(str(pk) for pk in ProgressNote.objects.values_list("pk", flat=True))))
"""


class Databases:
    """A new, empty database per installation on the test PostgreSQL server; none on SQLite."""

    def __init__(self) -> None:
        self.url = os.environ.get("DATABASE_URL", "")
        self.names: list[str] = []

    def new(self) -> dict[str, str]:
        if not self.url:
            return {}
        import psycopg

        name = f"psynote_backup_{secrets.token_hex(4)}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return {"DATABASE_URL": urlparse(self.url)._replace(path=f"/{name}").geturl()}

    def tables(self, env: dict[str, str]) -> list[str]:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as db:
            rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return [row[0] for row in rows]

    def drop_all(self) -> None:
        if not self.url:
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def installation(base: Path, name: str, databases: Databases) -> dict[str, str]:
    """The environment of a new data folder; its master key is a file in it, as by default."""
    home = base / name
    home.mkdir(mode=0o700)
    drop = {"DATABASE_URL", "PSYNOTE_MASTER_KEY", "PSYNOTE_SECRET_KEY", "PSYNOTE_ANCHOR_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return env | databases.new() | {
        "PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings",
        "PSYNOTE_FAST_HASHER": "1", "PSYNOTE_BACKUP_PASSPHRASE": PASSPHRASE,
    }


def psynote(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "psynote.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def home(env: dict[str, str]) -> Path:
    return Path(env["PSYNOTE_HOME"])


def note_ids(env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", NOTE_IDS], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def put_master_key(source: "Source", target: dict[str, str]) -> None:
    """What the operator does before a restore: the key file back, mode 0600."""
    key = home(target) / "master.key"
    key.write_bytes((home(source.env) / "master.key").read_bytes())
    key.chmod(0o600)


class Source:
    def __init__(self, env: dict[str, str], backup: Path, before: set[str], written: set[str]):
        self.env, self.backup, self.before, self.written = env, backup, before, written


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    found = Databases()
    yield found
    found.drop_all()


@pytest.fixture(scope="module")
def source(tmp_path_factory, databases) -> Source:
    """An installation backed up while a writer process signs notes through the actions."""
    base = tmp_path_factory.mktemp("backup")
    env = installation(base, "source", databases)
    assert psynote(env, "init", "--practice-name", "Fictional Backup Practice").returncode == 0
    log, stop = base / "written.log", base / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(log), str(stop)], env=env,
                              cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until the writer has committed a few notes
            if log.exists() and len(log.read_text().split()) >= 3 or writer.poll() is not None:
                break
            time.sleep(0.1)
        before = set(log.read_text().split())
        made = psynote(env, "backup", "--out", str(base / "backups"))
    finally:
        stop.touch()
        _, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors
    assert made.returncode == 0, made.stderr
    written = set(log.read_text().split())
    assert len(before) >= 3 and written > before  # notes went on being signed meanwhile
    (backup,) = (base / "backups").glob("psynote-backup-*.psybak")
    return Source(env, backup, before, written)


def test_backup_taken_during_writes_restores_every_note_committed_before_it(
        source, tmp_path, databases):
    target = installation(tmp_path, "restored", databases)
    put_master_key(source, target)

    done = psynote(target, "restore", str(source.backup))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every audit chain and every signed record is intact." in done.stdout
    assert "audit chain of practice 1:" in done.stdout and "head hash:" in done.stdout
    restored = set(note_ids(target))
    assert source.before <= restored <= source.written
    assert psynote(target, "verify").returncode == 0
    assert (home(target) / "export-signing-practice-1.pem").is_file()
    assert stat.S_IMODE(home(target).stat().st_mode) == 0o700
    for path in home(target).rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_backup_file_and_folder_are_the_operators_alone(source):
    assert stat.S_IMODE(source.backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(source.backup.parent.stat().st_mode) == 0o700


def _plaintext(path: Path) -> bytes:
    with path.open("rb") as handle:
        reader = container.Reader(handle, PASSPHRASE, "backup")
        return reader.read()


def test_the_master_key_is_nowhere_in_the_backup(source):
    key = base64.b64decode((home(source.env) / "master.key").read_bytes().strip())
    plain = _plaintext(source.backup)
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        names = tar.getnames()
    assert "home/export-signing-practice-1.pem" in names and "manifest.json" in names
    assert not any("master.key" in name for name in names)
    for data in (source.backup.read_bytes(), plain):
        for form in (key, base64.b64encode(key), key.hex().encode()):
            assert form not in data


def _damaged(source: Source, tmp_path: Path, how: str) -> Path:
    data = bytearray(source.backup.read_bytes())
    if how == "flipped":
        data[len(data) // 2] ^= 0x01
    elif how == "truncated":
        data = data[: len(data) - 100]
    copy = tmp_path / f"{how}.psybak"
    copy.write_bytes(bytes(data))
    return copy


@pytest.mark.parametrize("how", ["flipped", "truncated", "wrong passphrase"])
def test_restore_refuses_a_damaged_backup_or_wrong_passphrase_and_writes_nothing(
        source, tmp_path, databases, how):
    target = installation(tmp_path, "restored", databases)
    put_master_key(source, target)
    file = source.backup if how == "wrong passphrase" else _damaged(source, tmp_path, how)
    if how == "wrong passphrase":
        target["PSYNOTE_BACKUP_PASSPHRASE"] = "not the passphrase at all"

    done = psynote(target, "restore", str(file))

    assert done.returncode == 1
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("psynote restore: Nothing restored: ")
    expected = {"flipped": "does not authenticate", "truncated": "truncated",
                "wrong passphrase": "Wrong passphrase"}[how]
    assert expected in message and "Traceback" not in done.stderr
    assert {p.name for p in home(target).iterdir()} <= {"master.key", "secret.key"}
    if databases.url:
        assert databases.tables(target) == []


def test_restore_refuses_a_data_folder_that_holds_data(source, tmp_path, databases):
    target = installation(tmp_path, "restored", databases)
    put_master_key(source, target)
    (home(target) / "export-signing-practice-1.pem").write_text("someone else's key")

    done = psynote(target, "restore", str(source.backup))

    assert done.returncode == 2
    assert "not empty (it holds export-signing-practice-1.pem)" in done.stderr
    assert (home(target) / "export-signing-practice-1.pem").read_text() == "someone else's key"
    assert not (home(target) / "psynote.sqlite3").exists()


def test_restore_refuses_a_database_that_holds_tables(source, tmp_path, databases):
    target = installation(tmp_path, "restored", databases)
    put_master_key(source, target)
    assert psynote(target, "restore", str(source.backup)).returncode == 0
    again = psynote(target, "restore", str(source.backup))
    assert again.returncode == 2 and "Restore refused:" in again.stderr
    if databases.url:  # an empty data folder, but the database is the restored one
        other = installation(tmp_path, "other", databases)
        other["DATABASE_URL"] = target["DATABASE_URL"]
        again = psynote(other, "restore", str(source.backup))
        assert again.returncode == 2
        assert "the PostgreSQL database already holds" in again.stderr
    assert "nothing was written" in again.stderr


def test_check_accepts_the_backup_and_names_what_is_wrong_with_a_damaged_one(
        source, tmp_path):
    good = psynote(source.env, "backup", "--check", str(source.backup))
    assert good.returncode == 0, good.stderr
    assert "OK:" in good.stdout and "audit chain of practice 1:" in good.stdout
    bad = psynote(source.env, "backup", "--check", str(_damaged(source, tmp_path, "flipped")))
    assert bad.returncode == 1 and "BAD: The backup is damaged or altered" in bad.stderr
    assert "Traceback" not in bad.stderr
    junk = tmp_path / "junk.psybak"
    junk.write_bytes(b"not a backup at all")
    refused = psynote(source.env, "backup", "--check", str(junk))
    assert refused.returncode == 1 and "is not a Psynote backup" in refused.stderr


def test_keep_deletes_all_but_the_newest_backups(source, tmp_path):
    out = tmp_path / "kept"
    for _ in range(3):
        assert psynote(source.env, "backup", "--out", str(out), "--keep", "2").returncode == 0
    kept = sorted(out.glob("psynote-backup-*.psybak"))
    assert len(kept) == 2
    assert not list(out.glob("*.partial"))


def test_a_backup_without_a_passphrase_is_refused_in_one_sentence(source, tmp_path):
    env = {k: v for k, v in source.env.items() if k != "PSYNOTE_BACKUP_PASSPHRASE"}
    done = subprocess.run([sys.executable, "-m", "psynote.cli", "backup", "--out",
                           str(tmp_path)], env=env, cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2
    assert "No backup passphrase: set PSYNOTE_BACKUP_PASSPHRASE_FILE" in done.stderr
    short = psynote(source.env | {"PSYNOTE_BACKUP_PASSPHRASE": "short"}, "backup", "--out",
                    str(tmp_path))
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    assert not list(tmp_path.iterdir())


def test_the_master_key_comes_back_only_from_its_escrow_file(source, tmp_path, databases):
    escrow = tmp_path / "escrow" / "master-key.escrow"
    escrow.parent.mkdir()
    env = source.env | {"PSYNOTE_ESCROW_PASSPHRASE": "another fictional passphrase"}
    made = psynote(env, "backup", "--out", str(tmp_path / "out"), "--escrow-master-key",
                   str(escrow))
    assert made.returncode == 0, made.stderr
    assert "MASTER KEY ESCROW written" in made.stdout
    assert stat.S_IMODE(escrow.stat().st_mode) == 0o600
    key = (home(source.env) / "master.key").read_bytes().strip()
    assert key not in escrow.read_bytes() and base64.b64decode(key) not in escrow.read_bytes()
    (backup,) = (tmp_path / "out").glob("*.psybak")

    target = installation(tmp_path, "restored", databases)  # no master key at all
    refused = psynote(target, "restore", str(backup))
    assert refused.returncode == 2 and "No master key" in refused.stderr
    wrong = psynote(target | {"PSYNOTE_ESCROW_PASSPHRASE": PASSPHRASE}, "restore",
                    str(backup), "--master-key-escrow", str(escrow))
    assert wrong.returncode == 1 and "Wrong passphrase" in wrong.stderr
    assert not (home(target) / "master.key").exists()
    done = psynote(target | {"PSYNOTE_ESCROW_PASSPHRASE": "another fictional passphrase"},
                   "restore", str(backup), "--master-key-escrow", str(escrow))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (home(target) / "master.key").read_bytes().strip() == key
