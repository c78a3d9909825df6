"""A consistent copy of the running database, and what it holds (rows per table, each
practice's audit chain head), read from the copy itself or from the same snapshot.

- SQLite: the online backup API (`sqlite3.Connection.backup`) in one step: it reads inside
  one read transaction, which in WAL mode never blocks the server's writers, and copies
  exactly the database as of that transaction's start.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot; `pg_dump --snapshot`
  dumps that very snapshot while the same transaction counts the rows.
"""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction

HEADS_TABLE = "audit_chainhead"


class ToolMissing(Exception):
    """pg_dump or pg_restore cannot be found; the message says where it was looked for."""


class ToolFailed(Exception):
    """pg_dump or pg_restore exited with an error; the message is its first line."""


@dataclass
class Facts:
    tables: dict[str, int]
    heads: dict[str, dict[str, Any]]  # practice id -> {"seq", "head", "keyed_from"}


def engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _facts(cursor: Any, tables: list[str], quote: Any) -> Facts:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - catalogue names
        counts[table] = int(cursor.fetchone()[0])
    heads: dict[str, dict[str, Any]] = {}
    if HEADS_TABLE in tables:
        cursor.execute(f"SELECT practice_id, seq, hash, keyed_from FROM {HEADS_TABLE}")
        for practice_id, seq, link, keyed_from in cursor.fetchall():
            heads[str(practice_id)] = {"seq": int(seq), "head": bytes(link).hex(),
                                       "keyed_from": int(keyed_from)}
    return Facts(counts, heads)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_facts(path: Path) -> Facts:
    database = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return _facts(database.cursor(), tables, _quote)
    finally:
        database.close()


def sqlite_integrity(path: Path) -> str:
    """'ok', or what SQLite's integrity check found first."""
    database = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(database.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        database.close()


def sqlite_copy(source: Path, target: Path) -> Facts:
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: one step, one read transaction, one consistent copy
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return sqlite_facts(target)


def live_facts() -> Facts:
    """What the database this process uses holds now (after a restore)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return _facts(cursor, tables, connection.ops.quote_name)


# --- PostgreSQL ------------------------------------------------------------------------


def pg_binary(name: str) -> str:
    """pg_dump/pg_restore of the server's own major version (a newer server's dump is not
    readable by an older pg_restore), else the one on PATH. Without a PostgreSQL connection
    (checking a PostgreSQL backup on a SQLite installation): the newest one installed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            major = str(int(cursor.fetchone()[0]) // 10000)
        places = [Path(f"/usr/lib/postgresql/{major}/bin")]
    else:
        major = "(any version)"
        places = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                        reverse=True) or [Path("/usr/lib/postgresql/VERSION/bin")]
    for place in places:
        if (place / name).exists():
            return str(place / name)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} was found neither in {places[0]} nor on PATH: install the "
                          f"PostgreSQL {major} client tools (Debian: postgresql-client).")
    return found


def pg_connection_args() -> tuple[list[str], dict[str, str]]:
    connection.ensure_connection()
    info = connection.connection.info  # where psycopg really connected, socket or TCP
    args = ["--dbname", info.dbname, "--host", info.host, "--port", str(info.port),
            "--username", info.user]
    env = dict(os.environ) | ({"PGPASSWORD": info.password} if info.password else {})
    return args, env


def run_tool(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, timeout=24 * 3600)  # noqa: S603
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise ToolFailed(f"{Path(argv[0]).name} failed: {lines[0]}")


@contextmanager
def _exported_snapshot() -> Iterator[tuple[str, Facts]]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        facts = _facts(cursor, tables, connection.ops.quote_name)
        yield snapshot, facts  # the snapshot lives as long as this transaction


def pg_dump(target: Path) -> Facts:
    binary = pg_binary("pg_dump")
    args, env = pg_connection_args()
    with _exported_snapshot() as (snapshot, facts):
        run_tool([binary, "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}", *args], env)
    os.chmod(target, 0o600)
    return facts


def pg_check_dump(path: Path) -> None:
    """pg_restore reads the whole table of contents of the dump."""
    run_tool([pg_binary("pg_restore"), "--list", str(path)], dict(os.environ))


def pg_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return [row[0] for row in cursor.fetchall()]


def pg_restore(path: Path) -> None:
    binary = pg_binary("pg_restore")
    args, env = pg_connection_args()
    connection.close()  # pg_restore works alone; Django reconnects for the checks after
    run_tool([binary, "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", *args, str(path)], env)
