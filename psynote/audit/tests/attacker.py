"""Test support: what someone with write access to the database (and maybe more) does to
the audit chain, through raw SQL. Call `triggers.disable()` first."""

import hashlib
import hmac
from collections.abc import Callable

from django.db import connection

from psynote.audit.models import AuditEvent, ChainHead

EVENTS = AuditEvent._meta.db_table
HEADS = ChainHead._meta.db_table

Link = Callable[[bytes, bytes], bytes]


def sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def plain_sha256(previous: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(previous + payload).digest()


def hmac_with(key: bytes) -> Link:
    return lambda previous, payload: hmac.digest(key, previous + payload, "sha256")


def rows(practice_id: int) -> list[tuple[int, bytes, bytes]]:
    return [
        (seq, payload.encode(), bytes(digest))
        for seq, payload, digest in AuditEvent.objects.filter(practice_id=practice_id)
        .order_by("seq")
        .values_list("seq", "payload", "hash")
    ]


def set_head(practice_id: int, seq: int, digest: bytes) -> None:
    assert sql(
        f"UPDATE {HEADS} SET seq = %s, hash = %s WHERE practice_id = %s",
        [seq, digest, practice_id],
    ) == 1


def rechain(
    practice_id: int, link: Link, *, edit: tuple[int, str, str] | None = None, start: int = 1
) -> None:
    """Recompute the links from #start on with `link` (after replacing text in one event's
    payload, when `edit` = (seq, old, new) is given) and move the head to match."""
    previous = bytes(32)
    last = 0
    for seq, payload, stored in rows(practice_id):
        if seq < start:
            previous, last = stored, seq
            continue
        if edit is not None and seq == edit[0]:
            payload = payload.replace(edit[1].encode(), edit[2].encode())
            assert sql(
                f"UPDATE {EVENTS} SET payload = %s WHERE practice_id = %s AND seq = %s",
                [payload.decode(), practice_id, seq],
            ) == 1
        previous = link(previous, payload)
        sql(
            f"UPDATE {EVENTS} SET hash = %s WHERE practice_id = %s AND seq = %s",
            [previous, practice_id, seq],
        )
        last = seq
    set_head(practice_id, last, previous)


def cut_tail(practice_id: int, keep: int) -> None:
    """Delete every event after #keep and make the head say the chain ends there."""
    sql(f"DELETE FROM {EVENTS} WHERE practice_id = %s AND seq > %s", [practice_id, keep])
    kept = AuditEvent.objects.get(practice_id=practice_id, seq=keep)
    set_head(practice_id, keep, bytes(kept.hash))
