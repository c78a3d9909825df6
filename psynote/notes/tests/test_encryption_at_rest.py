"""Clinical free text never reaches the database in clear (ADR 0002, envelope encryption).

A record is written with a unique marker word in every free-text place (sections, mental
status, risk block, late-entry reason, addendum, psychotherapy note, text overwritten in a
draft, and an emergency access's reason and review comment), then the stored bytes are
searched for those words:

- SQLite: a real data folder, written by a separate process the way the server writes it
  (WAL mode), so both the database file and its -wal file can be read raw, before and
  after a checkpoint. (The test database itself lives in memory and has no file.)
- PostgreSQL: the committed test database, read back through `pg_dump` and through every
  column of every table cast to text.

A control marker is written where clear text is expected (the client's address), so that a
search that finds nothing is known to be able to find something.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import Role
from psynote.clients import emergency
from psynote.lib import crypto
from psynote.lib.tests import triggers
from psynote.notes import actions
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote

ROOT = Path(settings.BASE_DIR).parent
SECRET_PLACES = (
    "old_draft",
    "subjective",
    "plan",
    "mse",
    "si_plan",
    "safety_plan",
    "interventions_other",
    "late_reason",
    "addendum",
    "psychotherapy",
    "old_psychotherapy",
    "emergency_reason",
    "emergency_review",
)


def new_markers() -> dict[str, str]:
    return {place: f"ZEBRA{uuid4().hex}" for place in (*SECRET_PLACES, "control")}


def write_marked_record(markers: dict[str, str]) -> None:
    """Everything a clinician writes about one session, each place with its own marker."""
    practice = t.make_practice()
    alice = t.make_user(practice, f"alice{uuid4().hex[:8]}")
    client = t.make_client(alice, address=f"1 Control Street {markers['control']}")
    session = t.make_session(client, alice, day=timezone.localdate() - timedelta(days=30))
    note = t.make_note(session, sections=t.SOAP | {"subjective": markers["old_draft"]})
    note = actions.save_draft(
        by=alice,
        note=note,
        changes={
            "sections": {"subjective": markers["subjective"], "plan": markers["plan"]},
            "mse": {"mood": markers["mse"]},
            "risk": {
                "si": "active",
                "level": "moderate",
                "si_plan": markers["si_plan"],
                "protective_factors": "Family.",
                "safety_plan": markers["safety_plan"],
            },
            "interventions_other": markers["interventions_other"],
        },
    )
    note = actions.sign_note(by=alice, note=note, late_reason=markers["late_reason"])
    actions.add_addendum(by=alice, note=note, body=markers["addendum"])
    t.open_psychotherapy_notes(alice)
    process = actions.write_psychotherapy_note(
        by=alice, client=client, session=session, body=markers["old_psychotherapy"]
    )
    actions.write_psychotherapy_note(
        by=alice, client=client, session=session, body=markers["psychotherapy"], note=process
    )
    # A colleague off the care team opens the chart in an emergency; the privacy officer
    # finds it was not appropriate.
    colleague = t.make_user(practice, f"bob{uuid4().hex[:8]}")
    officer = t.make_user(practice, f"pria{uuid4().hex[:8]}", Role.PRIVACY)
    grant = emergency.break_glass(by=colleague, client=client, reason=markers["emergency_reason"])
    emergency.review_emergency_access(by=officer, grant=grant, review="not_appropriate",
                                      comment=markers["emergency_review"])


def found_in(data: bytes, markers: dict[str, str]) -> set[str]:
    # bytea/BLOB may be shown as hex in a dump, so look for that spelling too.
    return {
        place
        for place, marker in markers.items()
        if marker.encode() in data or marker.encode().hex().encode() in data.lower()
    }


# --- SQLite: the raw files of a real data folder -------------------------------------------


_WRITER = """
import json, os, sys
import django
django.setup()
from psynote.notes.tests.test_encryption_at_rest import write_marked_record
write_marked_record(json.loads(sys.argv[1]))
# Leave without closing the connection, as a running server would be: the newest pages
# stay in the -wal file instead of being checkpointed into the database on close.
os._exit(0)
"""


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]


def sqlite_files_scan(tmp_path: Path, markers: dict[str, str]) -> None:
    home = tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings"}
    _run(["manage.py", "migrate", "--noinput"], env)
    _run(["-c", _WRITER, json.dumps(markers)], env)

    database, wal = home / "psynote.sqlite3", home / "psynote.sqlite3-wal"
    assert wal.exists() and wal.stat().st_size > 0, "the writer left no WAL to examine"
    everything = b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())
    assert found_in(everything, markers) == {"control"}

    with sqlite3.connect(database) as db:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    assert found_in(database.read_bytes(), markers) == {"control"}


# --- PostgreSQL: pg_dump and every column as text ------------------------------------------


def _pg_dump_binary() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    beside_server = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    return str(beside_server) if beside_server.exists() else shutil.which("pg_dump")


def pg_dump_text() -> bytes:
    binary = _pg_dump_binary()
    assert binary, "pg_dump not found beside the server or on PATH"
    connection.ensure_connection()
    info = connection.connection.info  # where psycopg really connected, socket or TCP
    args = [
        binary,
        "--no-owner",
        "--dbname",
        info.dbname,
        "--host",
        info.host,
        "--port",
        str(info.port),
        "--username",
        info.user,
    ]
    env = os.environ | ({"PGPASSWORD": info.password} if info.password else {})
    done = subprocess.run(args, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def every_column_as_text() -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            chunks += [row[0].encode() for row in cursor.fetchall()]
    return b"\n".join(chunks)


# --- the test ------------------------------------------------------------------------------


@pytest.fixture
def _triggers_back_after_flush(django_db_blocker):
    """Set up before, and so torn down after, the transactional database's flush."""
    with django_db_blocker.unblock():
        in_force = triggers.enabled_count()
    statements: list[str] = []
    yield statements
    with django_db_blocker.unblock():
        triggers.restore(statements)
        assert triggers.enabled_count() == in_force > 0


@pytest.fixture
def committed_db(_triggers_back_after_flush, transactional_db):
    """A database whose writes are committed. Signed notes and audit events refuse DELETE,
    so the triggers are off for the flush that empties the tables afterwards, then back."""
    yield
    _triggers_back_after_flush.extend(triggers.disable())


def test_no_clinical_text_is_stored_in_clear(committed_db, tmp_path):
    markers = new_markers()
    if connection.vendor == "postgresql":
        write_marked_record(markers)
        assert found_in(pg_dump_text(), markers) == {"control"}
        assert found_in(every_column_as_text(), markers) == {"control"}
    else:
        sqlite_files_scan(tmp_path, markers)


# --- associated data binds each ciphertext to its row --------------------------------------


@pytest.fixture
def two_drafts(cast):
    first = t.make_note(t.make_session(cast.client, cast.alice))
    second = t.make_note(
        t.make_session(cast.client, cast.alice, day=timezone.localdate() - timedelta(days=1))
    )
    return first, second


def test_a_notes_ciphertext_moved_to_another_note_does_not_open(two_drafts):
    first, second = two_drafts
    ProgressNote.objects.filter(pk=second.pk).update(content_ct=first.content_ct)

    with pytest.raises(crypto.DecryptionError):
        ProgressNote.objects.get(pk=second.pk).content()
    assert ProgressNote.objects.get(pk=first.pk).content()["sections"] == t.SOAP


def test_a_ciphertext_does_not_open_as_another_field(two_drafts):
    note = two_drafts[0]
    key = note.client.data_key()
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(
            key, bytes(note.content_ct), crypto.aad_for("notes_progressnote", note.pk, "risk")
        )


def test_a_notes_ciphertext_does_not_open_under_another_clients_key(cast, two_drafts):
    note = two_drafts[0]
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(cast.other_client.data_key(), bytes(note.content_ct), note._aad())


def test_an_addendum_body_moved_to_another_addendum_does_not_open(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    first = actions.add_addendum(by=cast.alice, note=note, body="First.")
    second = actions.add_addendum(by=cast.alice, note=note, body="Second.")

    moved = Addendum.objects.get(pk=second.pk)
    moved.body_ct = first.body_ct  # in memory only: the trigger refuses the real write
    with pytest.raises(crypto.DecryptionError):
        moved.body()


def test_a_psychotherapy_note_moved_to_another_does_not_open(cast):
    t.open_psychotherapy_notes(cast.alice)
    first = actions.write_psychotherapy_note(by=cast.alice, client=cast.client, body="One.")
    second = actions.write_psychotherapy_note(by=cast.alice, client=cast.client, body="Two.")
    PsychotherapyNote.objects.filter(pk=second.pk).update(body_ct=first.body_ct)

    with pytest.raises(crypto.DecryptionError):
        PsychotherapyNote.objects.get(pk=second.pk).body()


def test_a_psychotherapy_note_is_sealed_under_its_authors_key_not_the_clients(cast):
    t.open_psychotherapy_notes(cast.alice)
    process = actions.write_psychotherapy_note(
        by=cast.alice, client=cast.client, body="Process notes."
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(cast.client.data_key(), bytes(process.body_ct), process._aad())
    assert PsychotherapyNote.objects.get(pk=process.pk).body() == "Process notes."


def test_a_clients_wrapped_key_moved_to_another_client_does_not_unwrap(cast):
    from psynote.clients.models import Client

    Client.objects.filter(pk=cast.other_client.pk).update(wrapped_key=cast.client.wrapped_key)
    with pytest.raises(crypto.DecryptionError):
        Client.objects.get(pk=cast.other_client.pk).data_key()
