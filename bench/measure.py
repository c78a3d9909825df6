"""Timing helpers and the bare primitives each figure is compared with.

Each Psynote figure is printed beside the cheapest thing that could possibly do the same
job on the same machine in the same run, so a slow machine or a busy moment shows up in
both columns and the ratio stays meaningful.
"""

import hashlib
import hmac
import math
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection


@dataclass
class Latency:
    n: int
    median_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> "Latency":
        ordered = sorted(seconds)
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
        return cls(len(ordered), statistics.median(ordered) * 1000, p95 * 1000)


@dataclass
class Rate:
    items: int
    seconds: float
    # CPU time of this process (user + system): barely moved by other processes competing
    # for the cores, unlike wall time, as long as the work runs in this process.
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else math.inf

    @property
    def per_cpu_second(self) -> float:
        return self.items / self.cpu_seconds if self.cpu_seconds else math.inf


def timed_each(items: Iterable[Any], operation: Callable[[Any], object]) -> list[float]:
    samples = []
    clock = time.perf_counter
    for item in items:
        t0 = clock()
        operation(item)
        samples.append(clock() - t0)
    return samples


# --- signing: one insert of the note's bytes and one of its audit event's, then commit ---


def bare_sqlite_insert(scratch: Path, rows: Sequence[tuple[bytes, bytes]]) -> Latency:
    """Raw sqlite3, WAL, synchronous=NORMAL (Psynote's settings), one commit per row pair."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(scratch, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE note (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
        db.execute("CREATE TABLE event (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")

        def insert(pair: tuple[bytes, bytes]) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO note VALUES (?, ?)", (uuid.uuid4().hex, pair[0]))
            db.execute("INSERT INTO event (body) VALUES (?)", (pair[1],))
            db.execute("COMMIT")

        return Latency.of(timed_each(rows, insert))
    finally:
        db.close()


def bare_postgresql_insert(rows: Sequence[tuple[bytes, bytes]]) -> Latency:
    """The same on the PostgreSQL server under test: raw psycopg, one commit per pair."""
    connection.ensure_connection()
    raw = connection.connection
    was_autocommit = raw.autocommit
    raw.autocommit = False
    try:
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS bench_scratch_note "
                "(id uuid PRIMARY KEY, body bytea NOT NULL)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS bench_scratch_event "
                "(seq bigserial PRIMARY KEY, body bytea NOT NULL)"
            )
            raw.commit()

            def insert(pair: tuple[bytes, bytes]) -> None:
                cur.execute(
                    "INSERT INTO bench_scratch_note VALUES (%s, %s)", (uuid.uuid4(), pair[0])
                )
                cur.execute("INSERT INTO bench_scratch_event (body) VALUES (%s)", (pair[1],))
                raw.commit()

            latency = Latency.of(timed_each(rows, insert))
            cur.execute("DROP TABLE bench_scratch_note, bench_scratch_event")
            raw.commit()
            return latency
    finally:
        raw.autocommit = was_autocommit


# --- opening: one SELECT of the note's row by primary key ---


def bare_select(table: str, note_ids: Sequence[uuid.UUID]) -> Latency:
    """Raw DB-API select of the whole row, on the database under test, no ORM."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        sql, keys = f"SELECT * FROM {table} WHERE id = ?", [n.hex for n in note_ids]  # noqa: S608
    else:
        sql, keys = f"SELECT * FROM {table} WHERE id = %s", list(note_ids)  # noqa: S608
    cur = raw.cursor()

    def select(key: object) -> None:
        cur.execute(sql, (key,))
        if cur.fetchone() is None:
            raise RuntimeError(f"no row {key} in {table}")

    try:
        return Latency.of(timed_each(keys, select))
    finally:
        cur.close()


# --- verify: the keyed chain (HMAC-SHA-256) over the same event bytes, already in memory ---


def bare_keyed_chain(payloads: Sequence[bytes], key: bytes) -> tuple[Rate, str]:
    """The fastest HMAC-SHA-256 chain we know in Python over `payloads`: `hmac.digest`
    per link, or the inner and outer hash states copied per link (the same HMAC, RFC 2104).
    Both are timed; the faster is the bare figure, and its name says which it was."""

    def one_shot() -> None:
        digest, previous = hmac.digest, bytes(32)
        for payload in payloads:
            previous = digest(key, previous + payload, "sha256")

    def copied_states() -> None:
        block = key.ljust(64, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        inner_copy, outer_copy, previous = inner.copy, outer.copy, bytes(32)
        for payload in payloads:
            h = inner_copy()
            h.update(previous + payload)
            o = outer_copy()
            o.update(h.digest())
            previous = o.digest()

    rates = []
    for name, chain in (("hmac.digest", one_shot), ("HMAC from copied SHA-256 states",
                                                     copied_states)):
        t0, c0 = time.perf_counter(), time.process_time()
        chain()
        rates.append(
            (Rate(len(payloads), time.perf_counter() - t0, time.process_time() - c0), name)
        )
    return max(rates, key=lambda pair: pair[0].per_cpu_second)


def rate_of(operation: Callable[[], int]) -> Rate:
    """Time `operation`, which returns how many items it processed."""
    t0, c0 = time.perf_counter(), time.process_time()
    items = operation()
    return Rate(items, time.perf_counter() - t0, time.process_time() - c0)


# --- measures: the rows the measures pages read, by raw SQL ---


def _timed_query(sql: str, params: tuple[object, ...], times: int) -> tuple[Latency, int]:
    connection.ensure_connection()
    cur = connection.connection.cursor()
    rows = 0

    def run(_: object) -> None:
        nonlocal rows
        cur.execute(sql, params)
        rows = len(cur.fetchall())

    try:
        return Latency.of(timed_each(range(times), run)), rows
    finally:
        cur.close()


def bare_history(client_id: uuid.UUID, times: int) -> tuple[Latency, int]:
    """Every administration of one client in time order: what the trend charts read."""
    from psynote.measures.models import Administration

    table = Administration._meta.db_table
    sqlite = connection.vendor == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        f"SELECT * FROM {table} WHERE client_id = {mark} "  # noqa: S608 - our names
        "ORDER BY administered_at, created_at"
    )
    return _timed_query(sql, (client_id.hex if sqlite else client_id,), times)


def bare_caseload(user_id: int, times: int) -> tuple[Latency, int]:
    """The latest two administrations per client and measure over one clinician's
    caseload: the rows the caseload outcome view reads for its scores."""
    from psynote.clients.models import CareTeamMember
    from psynote.measures.models import Administration

    table, team = Administration._meta.db_table, CareTeamMember._meta.db_table
    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = (
        "SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.client_id, "  # noqa: S608
        "a.instrument ORDER BY a.administered_at DESC, a.created_at DESC) AS rn "
        f"FROM {table} a JOIN {team} m ON m.client_id = a.client_id "
        f"WHERE m.user_id = {mark}) ranked WHERE rn <= 2"
    )
    return _timed_query(sql, (user_id,), times)
