"""The practice's Ed25519 export-signing key.

The private key is a PEM file in PSYNOTE_HOME (mode 0600), made by `psynote init` or on
the first export. Its public half is also stored in the database (`PracticeKey`), so a
missing or replaced file stops exports with a clear message instead of signing with a new
key that no recipient has pinned. Fingerprint = SHA-256 of the raw 32-byte public key, in
hex: what a recipient compares out of band (docs/verify-export.md).
"""

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from psynote.exchange.models import PracticeKey

# The key file itself (path, loading, creation, fingerprint) is psynote.lib.signing_keys:
# the audit chain's checkpoints are signed with the same key and may not import exchange.
from psynote.lib.signing_keys import SigningKeyProblem, fingerprint, key_path, raw_public
from psynote.lib.signing_keys import create as _write_new
from psynote.lib.signing_keys import load as _load


def grouped(fingerprint_hex: str) -> str:
    """The fingerprint in groups of four, easier to read aloud over the phone."""
    return " ".join(fingerprint_hex[i : i + 4] for i in range(0, len(fingerprint_hex), 4))


def public_b64(public: bytes) -> str:
    return base64.b64encode(bytes(public)).decode()


@transaction.atomic
def practice_key(practice: Any) -> Ed25519PrivateKey:
    """The practice's signing key, created (file and database row) when it has none."""
    path = key_path(practice.pk)
    known = PracticeKey.objects.select_for_update().filter(practice_id=practice.pk).first()
    if not path.exists():
        if known is not None:
            raise SigningKeyProblem(
                f"The practice's export-signing key file is missing: {path}. The database "
                f"records the key with fingerprint {fingerprint(known.public_key)}. Restore "
                "the file from your backup; recipients have that fingerprint on record."
            )
        _write_new(path)
    private = _load(path)
    public = raw_public(private)
    if known is None:
        PracticeKey.objects.create(practice_id=practice.pk, public_key=public)
    elif bytes(known.public_key) != public:
        raise SigningKeyProblem(
            f"The export-signing key file {path} (fingerprint {fingerprint(public)}) is not "
            f"the practice's key on record (fingerprint {fingerprint(known.public_key)}). "
            "Restore the right file from your backup."
        )
    return private


def known_public_key(practice: Any) -> bytes | None:
    row = PracticeKey.objects.filter(practice_id=practice.pk).first()
    return bytes(row.public_key) if row is not None else None
