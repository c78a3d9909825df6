"""Test support: looking for marker words in what the database stores, the way someone
who copies the data folder or runs `pg_dump` would see it.

- SQLite: a real data folder written by separate processes the way the server writes it
  (WAL mode), read raw: database file, -wal file and everything else in the folder, before
  and after a checkpoint.
- PostgreSQL: the committed test database through `pg_dump`, and every column of every
  table cast to text.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR).parent


def found_in(data: bytes, markers: dict[str, str]) -> set[str]:
    # bytea/BLOB may be shown as hex in a dump, so look for that spelling too.
    return {
        place
        for place, marker in markers.items()
        if marker.encode() in data or marker.encode().hex().encode() in data.lower()
    }


# --- SQLite: the raw files of a real data folder -------------------------------------------


def data_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new data folder and the environment of a process that uses it."""
    home = tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings"}
    return home, env


def run_python(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]


def assert_only_control_in_files(
    home: Path, markers: dict[str, str], *, wal_expected: bool = True
) -> None:
    """Only the control marker is in the folder's files, with the newest pages still in the
    WAL (when the last writer left one) and again once they are checkpointed into the
    database file."""
    database, wal = home / "psynote.sqlite3", home / "psynote.sqlite3-wal"
    if wal_expected:
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
    # pg_dump reads committed data and waits for every lock: a transaction this connection
    # left open (a migration run outside autocommit) would make it wait forever.
    connection.ensure_connection()
    if not connection.in_atomic_block and not connection.get_autocommit():
        connection.commit()
    binary = _pg_dump_binary()
    assert binary, "pg_dump not found beside the server or on PATH"
    if not connection.in_atomic_block and not connection.get_autocommit():
        connection.commit()  # the SHOW above opened one again
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
    """Every stored value of every table, read through SQL: on PostgreSQL each row as text,
    on SQLite each value as it is stored (text encoded, blobs as they are)."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT t::text FROM {quoted} t")
                chunks += [row[0].encode() for row in cursor.fetchall()]
                continue
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                chunks += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    return b"\n".join(chunks)
