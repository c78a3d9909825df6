"""The per-practice SHA-256 hash chain of audit events.

link_n = SHA-256(link_{n-1} || payload_n), with link_0 = 32 zero bytes, and payload_n the
event as canonical JSON (sorted keys, no spaces, UTF-8): exactly the bytes stored in the
event's `payload` column. The other columns are generated from the payload by the
database, so verification reads and hashes one column and re-serialises nothing
(hashing is cheap, re-serialising is not: docs/benchmarks.md#hashing-versus-re-serialising).
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from psynote.audit.models import AuditEvent
from psynote.lib import canonical_json

GENESIS = bytes(32)


def payload(values: dict[str, Any]) -> bytes:
    return canonical_json.dumps(values)


def link(previous: bytes, payload_bytes: bytes) -> bytes:
    return hashlib.sha256(previous + payload_bytes).digest()


@dataclass
class Break:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit event #{self.seq}: {self.reason}"


@dataclass
class ChainReport:
    practice_id: int
    events: int
    head: bytes
    breaks: list[Break]


@contextmanager
def _text_as_bytes() -> Iterator[None]:
    """SQLite hands text back as bytes: no UTF-8 decode and re-encode per event."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.text_factory
    raw.text_factory = bytes
    try:
        yield
    finally:
        raw.text_factory = saved


def _batches(practice_id: int) -> Iterator[list[tuple[int, bytes, bytes]]]:
    """(seq, payload bytes, stored hash) of the practice's events in chain order."""
    table = AuditEvent._meta.db_table
    # PostgreSQL returns text as str; asking for the UTF-8 bytes saves an encode per event.
    payload = "payload" if connection.vendor == "sqlite" else "convert_to(payload, 'UTF8')"
    sql = (
        f"SELECT seq, {payload}, hash FROM {table} "  # noqa: S608 - names are ours
        "WHERE practice_id = %s ORDER BY seq"
    )
    with _text_as_bytes(), connection.cursor() as cursor:
        cursor.execute(sql, [practice_id])
        while batch := cursor.fetchmany(10_000):
            yield batch


def verify_practice(practice_id: int, *, stop_at_first: bool = True) -> ChainReport:
    """Recompute the chain; report every break (gaps, edits, reorders, a cut tail)."""
    from psynote.audit.models import ChainHead

    breaks: list[Break] = []
    # Rows numbered below the next expected link (renumbered to 0 or less, or duplicated
    # with the unique index dropped) are reported after the break they cause, so that the
    # first break named is where the chain itself stops holding.
    strays: list[Break] = []
    previous, expected_seq = GENESIS, 1
    sha = hashlib.sha256
    for batch in _batches(practice_id):
        for seq, payload, stored in batch:  # the hot loop: keep it this small
            if seq != expected_seq:
                if seq < expected_seq:
                    strays.append(
                        Break(seq, f"out of place: numbered #{seq} after #{expected_seq - 1}")
                    )
                    continue
                breaks.append(
                    Break(
                        expected_seq, f"missing: the next event found is #{seq} (deleted or moved)"
                    )
                )
                if stop_at_first:
                    break
            previous = sha(previous + payload).digest()
            if previous != stored:
                breaks.append(Break(seq, "its contents or position do not match its hash (edited)"))
                if stop_at_first:
                    break
                previous = bytes(stored)
            expected_seq = seq + 1
        if breaks and stop_at_first:
            break
    count = expected_seq - 1  # events that verified in order
    if not breaks:
        head = ChainHead.objects.filter(practice_id=practice_id).first()
        head_seq, head_hash = (head.seq, bytes(head.hash)) if head else (0, b"")
        if head_seq != count or (count and head_hash != previous):
            breaks.append(
                Break(
                    count + 1,
                    f"the chain ends at #{count} but its recorded head is #{head_seq} "
                    "(events at the end were deleted or the head was altered)",
                )
            )
    return ChainReport(practice_id, count, previous, breaks + strays)
