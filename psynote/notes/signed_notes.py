"""The fast check of signed progress notes for `psynote verify`: their rows read as plain
tuples (no model instances), the ids and signing time already written by the database as
their signature payload holds them, and each note's payload hashed around its stored
content without parsing it.

A row that does not hold up here is not a verdict: `integrity` checks it again on the
model, the slow way, so a problem is always found and named as `ProgressNote` defines it.
The fast check may only ever be stricter than that one: every value it puts in the
payload is the stored value written out the way the model writes it, never normalised.
"""

import hashlib
import uuid
from collections.abc import Iterator
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from psynote.clients.models import Client
from psynote.lib import crypto
from psynote.notes.models import ProgressNote

# Notes per query: enough that a query's own cost is spread thin, few enough that a
# batch's ciphertexts (a few KiB each) are held in memory only a while.
BATCH = 2000

_string = encode_basestring  # json.dumps(ensure_ascii=False) of one str
_NONCE = slice(1, 13)  # a sealed blob: version byte, 12-byte nonce, ciphertext and tag
_BODY = slice(13, None)


class ClientCiphers:
    """Each client's AES-GCM cipher, its data key unwrapped once for the whole check
    instead of once per signed row (the clients read in one query, when first needed)."""

    def __init__(self, practice_id: int) -> None:
        self.practice_id = practice_id
        self.clients: dict[str, Client] | None = None
        self.ciphers: dict[str, AESGCM | None] = {}

    def client(self, client_id: object) -> Client | None:
        """The practice's client, one instance per client: it keeps its unwrapped key."""
        if self.clients is None:
            self.clients = {str(c.pk): c for c in Client.objects.filter(
                practice_id=self.practice_id).only("id", "wrapped_key").order_by()}
        return self.clients.get(str(client_id))

    def cipher(self, client_id: str) -> AESGCM | None:
        """None when the client is not the practice's or their key does not unwrap."""
        if client_id not in self.ciphers:
            client = self.client(client_id)
            try:
                self.ciphers[client_id] = AESGCM(client.data_key()) if client else None
            except crypto.DecryptionError:
                self.ciphers[client_id] = None
        return self.ciphers[client_id]


def _uuid_text(column: str, vendor: str) -> str:
    """SQL for a UUID column as `str(uuid)` writes it. SQLite holds 32 hex digits: the
    dashes go in where `str` puts them, and a value not so written stays unlike it."""
    if vendor != "sqlite":
        return f"{column}::text"
    return (f"substr({column}, 1, 8) || '-' || substr({column}, 9, 4) || '-' || "
            f"substr({column}, 13, 4) || '-' || substr({column}, 17, 4) || '-' || "
            f"substr({column}, 21)")


def _iso_text(column: str, vendor: str) -> str:
    """SQL for a timestamp as the model writes `signed_at`: `datetime.isoformat()` in UTC,
    the microseconds left out when they are zero."""
    if vendor != "sqlite":
        stamp = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return f"regexp_replace({stamp}, '\\.000000$', '') || '+00:00'"
    # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, as `str(datetime)` writes it.
    return f"replace({column}, ' ', 'T') || '+00:00'"


def _select(vendor: str) -> str:
    notes, clients = ProgressNote._meta.db_table, Client._meta.db_table
    columns = ", ".join((
        _uuid_text("n.id", vendor), _uuid_text("n.client_id", vendor),
        _uuid_text("n.session_id", vendor), "n.author_id", "n.template", "n.content_ct",
        "n.cpt_code", "n.late_entry", "n.signed_by_id", "n.signer_name",
        _iso_text("n.signed_at", vendor), "n.content_hash", "n.id",
    ))
    return (f"SELECT {columns} FROM {notes} n JOIN {clients} c ON c.id = n.client_id "  # noqa: S608
            "WHERE c.practice_id = %s AND n.signed_at IS NOT NULL")


def rows(practice_id: int) -> Iterator[tuple[Any, ...]]:
    """The practice's signed notes as (id, client, session, author, template, sealed
    content, cpt, late entry, signed by, signer name, signed at, content hash, stored id),
    the ids and time as text ready for the payload, and the id as stored, for the ORM."""
    connection = connections[router.db_for_read(ProgressNote)]
    connection.ensure_connection()
    sql = _select(connection.vendor)
    if connection.vendor == "sqlite":
        # One statement, its rows taken as SQLite steps through them.
        cursor = connection.connection.cursor()
        try:
            yield from cursor.execute(sql.replace("%s", "?"), [practice_id])
        finally:
            cursor.close()
        return
    # PostgreSQL would send the whole result at once: batches follow the primary key
    # instead, each starting after the last one's, so that no cursor stays open between
    # them (a caller may stop at the first problem and never come back).
    sql += " AND n.id > %s ORDER BY n.id LIMIT %s"
    last = uuid.UUID(int=0)
    while True:
        batch = _fetch(connection, sql, [practice_id, last, BATCH])
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1][-1]


def _fetch(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[Any]:
    if connection.Database.__name__ == "psycopg":
        # Binary results: the ciphertexts arrive as their bytes, not as hex text to decode.
        with connection.Database.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def holds(row: tuple[Any, ...], ciphers: ClientCiphers, chained: dict[str, str]) -> bool:
    """True when a signed note's sealed content opens under its own row's associated data,
    the SHA-256 of its payload is its content hash, and that hash is the one the chain
    recorded. The sealed content already is canonical JSON (`ProgressNote.set_content`),
    so its plaintext goes into the payload as it stands, between the keys that sort
    before "content" and those after. Anything else returns False."""
    (record_id, client_id, session_id, author_id, template, sealed, cpt, late_entry,
     signed_by_id, signer_name, signed_at, content_hash, _) = row
    if chained.get(record_id) != content_hash:
        return False
    cipher = ciphers.cipher(client_id)
    late = _BOOLEAN.get(late_entry)
    if cipher is None or late is None or sealed[:1] != b"\x01":  # as `crypto.seal` writes
        return False
    try:
        plain = cipher.decrypt(sealed[_NONCE], sealed[_BODY],
                               f"notes_progressnote:{record_id}:content".encode())
        # Every key in sorted order, each value as `canonical_json.dumps` writes it: strings
        # through the same encoder, so that no value can end early or run into the next
        # (tested against `compute_hash`).
        digest = hashlib.sha256("".join((
            '{"author":', _json(author_id), ',"client":', _string(client_id), ',"content":',
        )).encode())
        digest.update(plain)
        digest.update("".join((
            ',"cpt":', _string(cpt), ',"id":', _string(record_id), ',"kind":"progress_note",'
            '"late_entry":', late, ',"session":', _string(session_id), ',"signed_at":',
            _string(signed_at), ',"signed_by":', _json(signed_by_id), ',"signer_name":',
            _string(signer_name), ',"template":', _string(template), "}",
        )).encode())
    except (InvalidTag, TypeError, ValueError):  # altered, or a value of the wrong type
        return False
    return digest.hexdigest() == content_hash


# `late_entry` as the model reads it: SQLite's 0 and 1 become booleans, anything else
# stays as stored (and would not be written as true or false).
_BOOLEAN = {True: "true", False: "false"}


def _json(value: object) -> str:
    """A user id as JSON writes it. Anything but an integer (or None) is left to the model."""
    if value is None:
        return "null"
    if type(value) is not int:
        raise TypeError(f"not an integer: {value!r}")
    return str(value)
