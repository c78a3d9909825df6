"""Envelope encryption with AES-256-GCM.

Clinical text is sealed under a data key (one per client, one per psychotherapy-note
author). Data keys are stored wrapped by the master key, which lives in a file outside the
database. Every ciphertext carries associated data naming its table, row and field, so a
ciphertext copied onto another row or field fails to open.
"""

import base64
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from psynote.lib import keyfiles

_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The ciphertext was altered, moved to another row, or sealed under another key."""


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
