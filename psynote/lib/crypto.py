"""Envelope encryption with AES-256-GCM.

Clinical text is sealed under a data key (one per client, one per psychotherapy-note
author). Data keys are stored wrapped by the master key, which lives in a file outside the
database. Every ciphertext carries associated data naming its table, row and field, so a
ciphertext copied onto another row or field fails to open.
"""

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import request_finished, request_started

from psynote.lib import keyfiles

_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The ciphertext was altered, moved to another row, or sealed under another key."""


class KeyShredded(DecryptionError):
    """The data key was destroyed on purpose (retention): nothing sealed under it opens."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    blob = bytes(blob)
    if blob[:1] != _VERSION or len(blob) < 1 + _NONCE_BYTES + 16:
        raise DecryptionError("not a Psynote ciphertext")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate for this row") from None


def aad_for(table: str, row_id: object, field: str) -> bytes:
    return f"{table}:{row_id}:{field}".encode()


class MasterKeyMissing(Exception):
    pass


@cache
def master_key() -> bytes:
    """The key-encryption key: PSYNOTE_MASTER_KEY (base64) or the key file."""
    from_env = os.environ.get("PSYNOTE_MASTER_KEY")
    if from_env:
        key = base64.b64decode(from_env)
    else:
        path = settings.MASTER_KEY_FILE
        if not path.exists():
            raise MasterKeyMissing(
                f"No master key at {path}. Run `psynote init` for a new install, or restore "
                "the key file from your backup: without it the records cannot be read."
            )
        key = base64.b64decode(path.read_bytes().strip())
    if len(key) != 32:
        raise MasterKeyMissing("The master key must be 32 bytes (base64-encoded).")
    return key


def create_master_key_file() -> bool:
    """Make the key file if there is none; True when a new key was written."""
    path = settings.MASTER_KEY_FILE
    if path.exists() or os.environ.get("PSYNOTE_MASTER_KEY"):
        return False
    keyfiles.write_new(path, base64.b64encode(new_key()) + b"\n")
    master_key.cache_clear()
    return True


def wrap(data_key: bytes, aad: bytes) -> bytes:
    return seal(master_key(), data_key, aad)


def unwrap(wrapped: bytes, aad: bytes) -> bytes:
    return open_sealed(master_key(), wrapped, aad)


# --- unwrapped data keys, remembered for one request ------------------------------------
#
# A list page opens many rows of the same few clients; unwrapping each client's key once
# per request instead of once per row keeps that cheap. The keys live only as long as the
# request (or a `keys_cached()` block in a command): never in a process-wide cache.

_remembered: ContextVar[dict[bytes, tuple[bytes, bytes]] | None] = ContextVar(
    "psynote_unwrapped_keys", default=None
)


@contextmanager
def keys_cached() -> Iterator[None]:
    """Remember unwrapped data keys inside this block (web requests do so on their own)."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def unwrap_remembered(wrapped: bytes, aad: bytes) -> bytes:
    """`unwrap`, once per key and request: a wrapped key stored under `aad` is opened the
    first time and remembered (with the wrapped bytes it came from) until the request ends."""
    remembered = _remembered.get()
    wrapped = bytes(wrapped)
    if remembered is not None and (hit := remembered.get(aad)) is not None and hit[0] == wrapped:
        return hit[1]
    key = unwrap(wrapped, aad)
    if remembered is not None:
        remembered[aad] = (wrapped, key)
    return key


def remembered_key(aad: bytes) -> bytes | None:
    """The key unwrapped from `aad` earlier in this request, if any."""
    remembered = _remembered.get()
    hit = remembered.get(aad) if remembered is not None else None
    return hit[1] if hit is not None else None


def _request_begins(**_: object) -> None:
    _remembered.set({})


def _request_ends(**_: object) -> None:
    _remembered.set(None)


request_started.connect(_request_begins, dispatch_uid="psynote.crypto.keys")
request_finished.connect(_request_ends, dispatch_uid="psynote.crypto.keys")
