"""Keys derived from the master key (HKDF-SHA-256, RFC 5869), one for each purpose.

A derived key is never stored: whoever holds the database alone cannot compute it, and
a key for one purpose says nothing about the master key or any other purpose's key.
"""

from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from psynote.lib import crypto

_CONTEXT = b"psynote/v1/"


def derive(purpose: str, length: int = 32) -> bytes:
    """The key for `purpose` (e.g. "audit-chain/practice/7") under the current master key."""
    return _derive(crypto.master_key(), purpose.encode(), length)


@lru_cache(maxsize=256)
def _derive(master: bytes, purpose: bytes, length: int) -> bytes:
    # Cached by master key too, so a changed key (a test, a restore) never meets a stale one.
    # No salt: the master key is already 32 uniformly random bytes (RFC 5869, 3.1).
    return HKDF(hashes.SHA256(), length, salt=None, info=_CONTEXT + purpose).derive(master)
