"""The per-practice keyed hash chain of audit events (ADR 0003).

link_n = HMAC-SHA-256(K, link_{n-1} || payload_n), with link_0 = 32 zero bytes, K the
practice's chain key (derived from the master key, which is not in the database), and
payload_n the event as canonical JSON (sorted keys, no spaces, UTF-8): exactly the bytes
stored in the event's `payload` column. The other columns are generated from the payload
by the database, so verification reads and hashes one column and re-serialises nothing
(hashing is cheap, re-serialising is not: docs/benchmarks.md#hashing-versus-re-serialising).

Chains begun before links were keyed keep their plain SHA-256 links,
link_n = SHA-256(link_{n-1} || payload_n), below `ChainHead.keyed_from`; the event at
`keyed_from` is a keyed `audit.chain.keyed` event stating how many unkeyed events precede
it and their last link, so that neither the switch point nor the prefix can be moved or
rewritten without the key.
"""

import hashlib
import hmac
import itertools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router

from psynote.audit.models import AuditEvent, ChainHead
from psynote.lib import canonical_json, crypto, subkeys

GENESIS = bytes(32)
KEYED_ACTION = "audit.chain.keyed"

_EDITED = "its contents or position do not match its hash (edited)"
_UNKEYED = (
    "its link is a plain SHA-256 hash where a keyed one belongs (the chain was recomputed "
    "without the key)"
)
_KEYED_TOO_EARLY = (
    "its link is keyed, but the chain's record says keyed links begin later, at #{keyed_from} "
    "(the record was altered)"
)


def payload(values: dict[str, Any]) -> bytes:
    return canonical_json.dumps(values)


def chain_key(practice_id: int, wrapped: bytes = b"") -> bytes:
    """The practice's chain key: derived from the master key, or, for a practice moved from
    another installation (ADR 0010), the key it had there, stored wrapped in `ChainHead`."""
    if wrapped:
        return crypto.unwrap(bytes(wrapped), chain_key_aad(practice_id))
    return subkeys.derive(f"audit-chain/practice/{practice_id}")


def chain_key_aad(practice_id: int) -> bytes:
    return crypto.aad_for("audit_chainhead", practice_id, "chain_key")


def link(previous: bytes, payload_bytes: bytes, key: bytes) -> bytes:
    return hmac.digest(key, previous + payload_bytes, "sha256")


def unkeyed_link(previous: bytes, payload_bytes: bytes) -> bytes:
    """The link of events written before the chain was keyed."""
    return hashlib.sha256(previous + payload_bytes).digest()


def keyed_statement(unkeyed_events: int, unkeyed_head: bytes) -> dict[str, Any]:
    """The detail of the `audit.chain.keyed` event that begins a chain's keyed links."""
    return {"unkeyed_events": unkeyed_events, "unkeyed_head": unkeyed_head.hex()}


def _pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA-256's inner and outer hash states after absorbing the padded key (RFC 2104).
    Copying them costs far less than setting up an HMAC per link, and the result is the
    same HMAC (test_keyed_chain checks it against hmac.digest)."""
    if len(key) > 64:  # the block size; longer keys are hashed first
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


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
    keyed_from: int = 1


Rows = Iterable[tuple[int, bytes, bytes]]


@contextmanager
def _rows(practice_id: int, low: int | None = None, high: int | None = None) -> Iterator[Rows]:
    """(seq, payload bytes, stored hash) of the practice's events in chain order, those
    numbered from `low` (inclusive) to `high` (exclusive) when given."""
    table = AuditEvent._meta.db_table
    where, params = "practice_id = %s", [practice_id]
    if low is not None:
        where, params = where + " AND seq >= %s", [*params, low]
    if high is not None:
        where, params = where + " AND seq < %s", [*params, high]
    # A streaming replica inside `replica_reads()` (psynote verify), else the primary.
    connection = connections[router.db_for_read(AuditEvent)]
    if connection.vendor != "sqlite":
        # PostgreSQL returns text as str; asking for its UTF-8 bytes saves an encode per event.
        sql = f"SELECT seq, convert_to(payload, 'UTF8'), hash FROM {table} WHERE {where} "  # noqa: S608
        sql += "ORDER BY seq"
        if connection.Database.__name__ == "psycopg":
            # Results in binary format: bytea arrives as its bytes, not as hex text for
            # psycopg to decode, which makes reading the rows about twice as fast. Django's
            # own cursors bind on the client side, which cannot ask for binary results.
            connection.ensure_connection()
            with connection.Database.Cursor(connection.connection) as cursor:
                cursor.execute(sql, params, binary=True)
                yield itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(10_000), []))
            return
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            yield itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(10_000), []))
        return
    # SQLite: the raw cursor, iterated row by row (no lists of rows built), handing text
    # back as bytes (no UTF-8 decode and re-encode per event).
    sql = f"SELECT seq, payload, hash FROM {table} WHERE {where} ORDER BY seq"  # noqa: S608
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.text_factory
    raw.text_factory = bytes
    cursor = raw.cursor()
    try:
        yield cursor.execute(sql.replace("%s", "?"), params)
    finally:
        cursor.close()
        raw.text_factory = saved


def stored_links(practice_id: int, seqs: Iterable[int]) -> dict[int, bytes]:
    """The stored hash of each of these events (after a clean verify: their links)."""
    wanted = sorted(set(seqs))
    found: dict[int, bytes] = {}
    for start in range(0, len(wanted), 500):
        rows = AuditEvent.objects.filter(
            practice_id=practice_id, seq__in=wanted[start : start + 500]
        ).values_list("seq", "hash")
        found.update((seq, bytes(digest)) for seq, digest in rows)
    return found


@dataclass
class _Walk:
    """Where a verification stands between the unkeyed prefix and the keyed links."""

    stop_at_first: bool
    previous: bytes = GENESIS
    expected_seq: int = 1
    breaks: list[Break] = field(default_factory=list)
    # Rows numbered below the next expected link (renumbered to 0 or less, or duplicated
    # with the unique index dropped) are reported after the break they cause, so that the
    # first break named is where the chain itself stops holding.
    strays: list[Break] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return bool(self.breaks) and self.stop_at_first

    def missing(self, expected_seq: int, seq: int) -> None:
        self.breaks.append(
            Break(expected_seq, f"missing: the next event found is #{seq} (deleted or moved)")
        )

    def stray(self, expected_seq: int, seq: int) -> None:
        self.strays.append(Break(seq, f"out of place: numbered #{seq} after #{expected_seq - 1}"))


def _walk_unkeyed(walk: _Walk, rows: Rows, key: bytes, keyed_from: int) -> None:
    """The SHA-256 links of a chain's unkeyed prefix (events before keyed_from)."""
    sha = hashlib.sha256
    previous, expected_seq = walk.previous, walk.expected_seq
    for seq, payload, stored in rows:
        if seq != expected_seq:
            if seq < expected_seq:
                walk.stray(expected_seq, seq)
                continue
            walk.missing(expected_seq, seq)
            if walk.stop_at_first:
                break
        computed = sha(previous + payload).digest()
        if computed != stored:
            keyed = link(previous, bytes(payload), key) == stored
            reason = _KEYED_TOO_EARLY.format(keyed_from=keyed_from) if keyed else _EDITED
            walk.breaks.append(Break(seq, reason))
            if walk.stop_at_first:
                break
            computed = bytes(stored)
        previous, expected_seq = computed, seq + 1
    walk.previous, walk.expected_seq = previous, expected_seq


def _walk_keyed(walk: _Walk, rows: Rows, key: bytes) -> None:
    """The HMAC links: the hot loop of `psynote verify`, so kept this small."""
    inner, outer = _pads(key)
    inner_copy, outer_copy = inner.copy, outer.copy
    previous, expected_seq = walk.previous, walk.expected_seq
    for seq, payload, stored in rows:
        if seq != expected_seq:
            if seq < expected_seq:
                walk.stray(expected_seq, seq)
                continue
            walk.missing(expected_seq, seq)
            if walk.stop_at_first:
                break
        h = inner_copy()
        h.update(previous + payload)
        o = outer_copy()
        o.update(h.digest())
        computed = o.digest()
        if computed != stored:
            plain = unkeyed_link(previous, bytes(payload)) == stored
            walk.breaks.append(Break(seq, _UNKEYED if plain else _EDITED))
            if walk.stop_at_first:
                break
            computed = bytes(stored)
        previous, expected_seq = computed, seq + 1
    walk.previous, walk.expected_seq = previous, expected_seq


def _keyed_statement_problem(practice_id: int, keyed_from: int, prefix_head: bytes) -> str:
    """Why the event at keyed_from does not begin the keyed links as stated ('' if it does)."""
    row = AuditEvent.objects.filter(practice_id=practice_id, seq=keyed_from).values_list(
        "payload", flat=True
    )
    try:
        values = json.loads(row.first() or "{}")
    except ValueError:
        values = {}
    expected = keyed_statement(keyed_from - 1, prefix_head)
    if values.get("action") == KEYED_ACTION and values.get("detail") == expected:
        return ""
    return (
        f"the chain's record says keyed links begin here, after {keyed_from - 1} unkeyed "
        "events, but this event does not state it (the record was altered)"
    )


def _head_break(practice_id: int, head: ChainHead | None, count: int, last: bytes) -> Break | None:
    """Where the recorded head (read before the events) and the chain disagree. Events past
    it were appended during the check, if the head has moved on to them since."""
    if head is None or not head.seq:
        if not count:
            return None
        return Break(count, "the chain has no recorded head (the head was removed)")
    if head.seq > count:
        return Break(
            count + 1,
            f"the chain ends at #{count} but its recorded head is #{head.seq} "
            "(events at the end were deleted or the head was altered)",
        )
    at_head = last if head.seq == count else stored_links(practice_id, [head.seq]).get(head.seq)
    if at_head != bytes(head.hash):
        return Break(head.seq, "its link is not the chain's recorded head (the head was altered)")
    if head.seq < count:
        now = ChainHead.objects.filter(practice_id=practice_id).values_list("seq", flat=True)
        moved_to = now.first() or 0
        if moved_to < count:
            return Break(
                moved_to + 1,
                f"the chain goes on to #{count}, past its recorded head #{moved_to} "
                "(the head was altered)",
            )
    return None


def verify_practice(practice_id: int, *, stop_at_first: bool = True) -> ChainReport:
    """Recompute the chain; report every break (gaps, edits, reorders, re-chaining without
    the key, a cut tail). Anchors outside the database are checked by audit.verify."""
    # The head first: an event appended while the rows are read can only come after it.
    head = ChainHead.objects.filter(practice_id=practice_id).first()
    keyed_from = max(head.keyed_from, 1) if head else 1
    key = chain_key(practice_id, bytes(head.key_wrapped) if head else b"")

    walk = _Walk(stop_at_first)
    with _rows(practice_id, high=keyed_from) as rows:
        _walk_unkeyed(walk, rows, key, keyed_from)
    prefix_head = walk.previous
    if not walk.stopped:
        with _rows(practice_id, low=keyed_from) as rows:
            _walk_keyed(walk, rows, key)
    count = walk.expected_seq - 1  # events that verified in order
    breaks = walk.breaks
    if not breaks and keyed_from > 1:
        if count < keyed_from:
            breaks.append(
                Break(
                    count + 1,
                    f"the chain ends at #{count}, before #{keyed_from} where its keyed links "
                    "begin (events at the end were deleted)",
                )
            )
        elif problem := _keyed_statement_problem(practice_id, keyed_from, prefix_head):
            breaks.append(Break(keyed_from, problem))
    if not breaks and (wrong := _head_break(practice_id, head, count, walk.previous)):
        breaks.append(wrong)
    return ChainReport(practice_id, count, walk.previous, breaks + walk.strays, keyed_from)
