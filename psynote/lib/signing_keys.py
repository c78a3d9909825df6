"""Ed25519 key files of a practice (mode 0600 in PSYNOTE_HOME): load, create, fingerprint.

One key per practice signs what must be checked without trusting the database: export
packages (psynote.exchange.signing pins its public half in the database) and audit
checkpoints (psynote.audit.anchor). Fingerprint = SHA-256 of the raw 32-byte public key,
in hex: what a recipient or an auditor compares out of band (docs/verify-export.md).
"""

import contextlib
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from psynote.lib import keyfiles


class SigningKeyProblem(Exception):
    """The key file is missing, unreadable or not the key expected."""


def key_path(practice_id: int) -> Path:
    return Path(settings.HOME) / f"export-signing-practice-{practice_id}.pem"


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def fingerprint(public: bytes) -> str:
    return hashlib.sha256(bytes(public)).hexdigest()


def load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise SigningKeyProblem(f"The export-signing key {path} cannot be read: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyProblem(f"{path} is not an Ed25519 private key.")
    return key


def create(path: Path) -> None:
    """A new key at `path`, never overwriting one: another process may have made it first,
    and then theirs is the key."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with contextlib.suppress(FileExistsError):
        keyfiles.write_new(path, pem)
