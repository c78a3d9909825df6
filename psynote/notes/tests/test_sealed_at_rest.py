"""What the database holds cannot open an author's psychotherapy notes (ADR 0009), not even
with the master key, the server's secret key and a password an admin set.

1. By trying: every key the master key unwraps, and every 32-byte run of every value in
   every table (sessions decoded with the server's secret key), is tried on every sealed
   wrapping, every psychotherapy note and every session vault entry. None opens.
2. Marker words: the author's passwords, the recovery keys, the note's text, the key itself
   and the session cookie's key are nowhere in the stored bytes: SQLite's files (database
   and WAL, written by a separate process the way the server writes them) and PostgreSQL's
   `pg_dump` and every column as text. A control marker in clear proves the search works.
"""

import base64
import binascii
import contextlib
import json
import os
import re
import sys
from pathlib import Path
from uuid import uuid4

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client as Browser

from psynote import testing as t
from psynote.clients.models import Client
from psynote.lib import crypto, session_vault
from psynote.lib.tests.at_rest import ROOT, every_column_as_text, pg_dump_text
from psynote.notes import psychotherapy_keys
from psynote.notes.models import PsychotherapyKey, PsychotherapyNote
from psynote.notes.tests.test_encryption_at_rest import (  # noqa: F401 (fixtures)
    _triggers_back_after_flush,
    committed_db,
)

ADMIN_SET = "admin-chose-this-9"
IMPOSTOR = "the-admins-next-pick-4"


def _every_stored_value() -> list[bytes]:
    """Every value of every row of every table, as bytes; sessions also decoded."""
    values: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode())
        cursor.execute("SELECT session_data FROM django_session")
        for (data,) in cursor.fetchall():
            values.append(json.dumps(SessionStore().decode(data)).encode())
    return values


def _decoded(value: bytes) -> list[bytes]:
    """The value, and whatever base64 or hex runs inside it decode to."""
    found = [value]
    for run in re.findall(rb"[A-Za-z0-9+/_-]{40,}={0,2}", value):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(decode(run + b"=" * (-len(run) % 4)))
    for run in re.findall(rb"[0-9a-fA-F]{64,}", value):
        found.append(bytes.fromhex(run[: len(run) // 2 * 2].decode()))
    return found


def _candidate_keys() -> set[bytes]:
    keys = {crypto.master_key()}
    keys |= {client.data_key() for client in Client.objects.all()}
    for value in _every_stored_value():
        for data in _decoded(value):
            keys |= {data[at : at + 32] for at in range(0, max(len(data) - 31, 0))}
    return keys


def _sealed_things() -> list[tuple[bytes, bytes]]:
    """(ciphertext, associated data) of everything that would yield a psychotherapy key or
    note, with the master key's outer layer already removed."""
    things = []
    for row in PsychotherapyKey.objects.all():
        for field in ("password", "recovery"):
            blob = bytes(getattr(row, f"{field}_wrapped"))
            if blob:
                inner = crypto.unwrap(blob, row._aad(field + "_outer"))  # the master key opens
                things.append((inner, row._aad(field)))  # ... only this outer layer
    for note in PsychotherapyNote.objects.all():
        things.append((bytes(note.body_ct), note._aad()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        for (data,) in cursor.fetchall():
            vault = SessionStore().decode(data).get(session_vault.SESSION_KEY) or {}
            for name, item in vault.get("items", {}).items():
                things.append((base64.b64decode(item), session_vault._aad(name)))
    return things


def test_the_master_key_and_the_whole_database_open_no_psychotherapy_key(cast, client):
    from psynote.notes import actions

    alice, bob = cast.alice, cast.bob
    # alice and bob have keys; bob is signed in (his key sits in his session vault).
    key = t.open_psychotherapy_notes(alice)
    actions.write_psychotherapy_note(by=alice, client=cast.client, body="Fictional process.")
    bobs_key = t.open_psychotherapy_notes(bob)
    actions.write_psychotherapy_note(by=bob, client=cast.other_client, body="Bob's, fictional.")
    assert client.post("/login/", {"username": "bob", "password": t.PASSWORD}).status_code == 302
    # The admin resets alice's password and signs in as her (choosing "her" new password).
    ada = Browser()
    ada.force_login(cast.ada)
    response = ada.post(f"/users/{alice.pk}/", t.user_form(alice, password=ADMIN_SET))
    assert response.status_code == 302, response.content.decode()[:2000]
    impostor = Browser()
    assert impostor.post("/login/", {"username": "alice", "password": ADMIN_SET}).status_code == 302
    assert impostor.post("/account/password/", {
        "old_password": ADMIN_SET, "new_password1": IMPOSTOR, "new_password2": IMPOSTOR,
    }).status_code == 302

    things = _sealed_things()
    assert len(things) == 7  # two wrappings and a note each, bob's session vault entry
    candidates = _candidate_keys()
    assert key not in candidates and bobs_key not in candidates
    assert len(candidates) > 1000  # the search did look
    for blob, aad in things:
        for candidate in candidates:
            with pytest.raises(crypto.DecryptionError):
                crypto.open_sealed(candidate, blob, aad)
    # Nor the passwords the admin set or chose, nor anything derived from what is stored.
    row = PsychotherapyKey.objects.get(user=alice)
    for password in (ADMIN_SET, IMPOSTOR):
        assert row.open_with_password(password) is None
        assert row.open_legacy(password) is None
        assert psychotherapy_keys.unlock(user=alice, password=password) is None


# --- marker words ------------------------------------------------------------------------


_WRITER = """
import json, os, sys
import django
django.setup()
from psynote.notes.tests.test_sealed_at_rest import write_sealed_record
print(json.dumps(write_sealed_record(json.loads(sys.argv[1]))))
sys.stdout.flush()
os._exit(0)  # as a running server: the newest pages stay in the -wal file
"""


def write_sealed_record(markers: dict[str, str]) -> dict[str, str]:
    """A clinician signs in through the login page, sets up her key, writes a
    psychotherapy note, changes her password; an admin resets it; she recovers with her
    recovery key. Returns the secrets made on the way, to be searched for."""
    from psynote.accounts.models import Role, User
    from psynote.accounts.signals import password_set
    from psynote.notes import actions, keyring

    practice = t.make_practice()
    alice = t.make_user(practice, f"alice{uuid4().hex[:6]}", password=markers["password"])
    t.make_user(practice, f"ada{uuid4().hex[:6]}", Role.ADMIN)
    client = t.make_client(alice, address=f"1 Control Street {markers['control']}")
    key, first_phrase = psychotherapy_keys.set_up(user=alice, password=markers["password"])
    browser = Browser(HTTP_HOST="localhost")
    signed_in = browser.post("/login/", {"username": alice.username,
                                         "password": markers["password"]})
    assert signed_in.status_code == 302
    cookie = browser.cookies[session_vault.COOKIE_NAME].value
    with keyring.opened(alice.pk, key):
        actions.write_psychotherapy_note(by=alice, client=client, body=markers["body"])
    for raw, old, by_admin in ((markers["new_password"], markers["password"], False),
                               (markers["admin_set"], None, True)):
        alice.set_password(raw)
        alice.save()
        password_set.send(sender=User, user=alice, raw_password=raw, old_raw_password=old,
                          by_admin=by_admin)
    _, second_phrase = psychotherapy_keys.recover(user=alice, secret=first_phrase,
                                                  password=markers["admin_set"])
    return {"key": key.hex(), "first_phrase": first_phrase, "second_phrase": second_phrase,
            "cookie": cookie}


def _spellings(secrets: dict[str, str]) -> dict[str, list[bytes]]:
    key = bytes.fromhex(secrets["key"])
    cookie = session_vault._decode(secrets["cookie"])
    assert cookie is not None
    spell = {
        "key": [key, key.hex().encode(), base64.b64encode(key), base64.urlsafe_b64encode(key)],
        "cookie": [cookie, secrets["cookie"].encode(), cookie.hex().encode(),
                   base64.b64encode(cookie)],
    }
    for name in ("first_phrase", "second_phrase"):
        phrase = secrets[name]
        spell[name] = [phrase.encode(), phrase.replace("-", "").encode()]
    return spell


def _found(data: bytes, markers: dict[str, str], secrets: dict[str, str]) -> set[str]:
    lowered = data.lower()
    found = {name for name, marker in markers.items()
             if marker.encode() in data or marker.encode().hex().encode() in lowered}
    for name, spellings in _spellings(secrets).items():
        if any(s in data or s.hex().encode() in lowered for s in spellings):
            found.add(name)
    return found


def _run(args: list[str], env: dict[str, str]) -> str:
    import subprocess

    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode()


@pytest.fixture
def markers() -> dict[str, str]:
    return {name: f"ZEBRA{uuid4().hex}" for name in
            ("password", "new_password", "admin_set", "body", "control")}


@pytest.mark.usefixtures("committed_db")
def test_no_psychotherapy_secret_is_stored(markers, tmp_path: Path):
    if connection.vendor == "postgresql":
        secrets = write_sealed_record(markers)
        for dump in (pg_dump_text(), every_column_as_text()):
            assert _found(dump, markers, secrets) == {"control"}
        return
    home = tmp_path / "data"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings"}
    _run(["manage.py", "migrate", "--noinput"], env)
    secrets = json.loads(_run(["-c", _WRITER, json.dumps(markers)], env).strip().splitlines()[-1])
    wal = home / "psynote.sqlite3-wal"
    assert wal.exists() and wal.stat().st_size > 0, "the writer left no WAL to examine"
    everything = b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())
    assert _found(everything, markers, secrets) == {"control"}
