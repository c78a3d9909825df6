"""Keys derived from a secret a person holds.

- From a password: Argon2id (RFC 9106), memory-hard, through argon2-cffi's low-level
  `hash_secret_raw`, with a random salt per derivation. The cost parameters travel with
  what they protect (`Argon2Params.encode()`), so they can be raised later and older
  wrappings still open.
- From a high-entropy random secret (a recovery key of 150 bits): HKDF-SHA-256. Nobody can
  guess such a secret, so stretching it would buy nothing.
"""

import os
import re
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
SALT_BYTES = 16
_ENCODED = re.compile(r"argon2id\$t=(\d+)\$m=(\d+)\$p=(\d+)")


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int

    def encode(self) -> str:
        return f"argon2id$t={self.time_cost}$m={self.memory_cost}$p={self.parallelism}"

    @classmethod
    def decode(cls, text: str) -> "Argon2Params":
        match = _ENCODED.fullmatch(text or "")
        if match is None:
            raise ValueError(f"not Argon2id parameters: {text!r}")
        return cls(*(int(group) for group in match.groups()))


# RFC 9106 §4, the second recommended option (64 MiB, 3 passes, 4 lanes): about half a
# second on a small server, paid once per sign-in.
RFC9106_LOW_MEMORY = Argon2Params(time_cost=3, memory_cost=64 * 1024, parallelism=4)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def from_password(password: str, salt: bytes, params: Argon2Params) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        bytes(salt),
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def from_random_secret(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=bytes(salt),
                info=info).derive(secret)
