"""The encrypted container of a backup (and of a master-key escrow file), read and written
in chunks so that a database of any size never has to fit in memory (ADR 0011).

    MAGIC (8 bytes) ‖ header length (4 bytes, big-endian) ‖ header (canonical JSON)
    then chunks: ciphertext length (4 bytes, big-endian) ‖ AES-256-GCM ciphertext and tag

The header names the purpose, the KDF and its parameters (scrypt, RFC 7914), the salt and
a key-check value (HMAC-SHA-256 of a fixed text under a second derived key), so a wrong
passphrase is told apart from a damaged file. Each chunk's nonce is its number (8 bytes)
and a last-chunk flag; its associated data is the SHA-256 of the header. A chunk edited,
swapped, dropped or cut off, a header changed, or a file ending before its last chunk does
not open. The key is new for every file (a fresh random salt), so counter nonces never
repeat under one key.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from psynote.lib import canonical_json, config

MAGIC = b"PSYBAK\x00\x01"
CHUNK = 1024 * 1024
_MAX_HEADER = 4096
_CHECK_TEXT = b"psynote backup key check v1"
# scrypt at N=2^17, r=8 (128 MiB, about half a second): RFC 7914's interactive-login cost
# raised for a secret that guards a whole practice. Tests use a tiny cost, which the
# header records, so their files still open.
SCRYPT_N = 2**4 if config.boolean("PSYNOTE_FAST_HASHER", False) else 2**17
SCRYPT_R, SCRYPT_P = 8, 1


class BadContainer(Exception):
    """The file is not a backup, is damaged or truncated, or the passphrase is wrong: the
    message is one sentence for the operator."""


def _keys(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    try:
        derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode())
    except (ValueError, MemoryError):  # parameters no backup was written with
        raise BadContainer("The backup's header is damaged: this file cannot be opened.") from None
    return derived[:32], derived[32:]


def _nonce(number: int, last: bool) -> bytes:
    return struct.pack(">Q", number) + b"\x00\x00\x00" + (b"\x01" if last else b"\x00")


class Writer:
    """A write-only binary stream that seals what it is given, CHUNK bytes at a time."""

    def __init__(self, out: BinaryIO, passphrase: str, purpose: str) -> None:
        salt = os.urandom(16)
        key, check_key = _keys(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        header = canonical_json.dumps({
            "purpose": purpose, "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(), "chunk": CHUNK, "cipher": "AES-256-GCM",
            "check": hmac.new(check_key, _CHECK_TEXT, hashlib.sha256).hexdigest(),
        })
        out.write(MAGIC + struct.pack(">I", len(header)) + header)
        self._out, self._aead = out, AESGCM(key)
        self._aad = hashlib.sha256(header).digest()
        self._buffer = bytearray()
        self._number = 0
        self.closed = False

    def writable(self) -> bool:
        return True

    def _seal(self, data: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._number, last), data, self._aad)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._number += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back for the last chunk
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True


def read_header(source: BinaryIO) -> dict:
    start = source.read(len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or start[: len(MAGIC)] != MAGIC:
        raise BadContainer("This file is not a Psynote backup (it does not start like one).")
    (length,) = struct.unpack(">I", start[len(MAGIC):])
    raw = source.read(length) if length <= _MAX_HEADER else b""
    try:
        header = json.loads(raw)
        header["_raw"] = raw
        int(header["n"]), int(header["r"]), int(header["p"])
        base64.b64decode(header["salt"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise BadContainer("The backup's header is damaged: this file cannot be opened.") from None
    return header


class Reader:
    """A read-only binary stream of what a Writer sealed; BadContainer on the first chunk
    that does not authenticate, and at the end if the last chunk never came."""

    def __init__(self, source: BinaryIO, passphrase: str, purpose: str) -> None:
        header = read_header(source)
        if header.get("purpose") != purpose:
            raise BadContainer(f"This file is a Psynote {header.get('purpose')!s} file, not a "
                               f"{purpose} file.")
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        if n > 2**20 or r > 32 or p > 16:
            raise BadContainer("The backup's header asks for an unreasonable key derivation.")
        key, check_key = _keys(passphrase, base64.b64decode(header["salt"]), n, r, p)
        expected = hmac.new(check_key, _CHECK_TEXT, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, str(header.get("check", ""))):
            raise BadContainer("Wrong passphrase: it does not open this backup (or the "
                               "backup's header was altered).")
        self._source, self._aead = source, AESGCM(key)
        self._aad = hashlib.sha256(header["_raw"]).digest()
        self._buffer = b""
        self._number = 0
        self._ended = False
        self.closed = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        length = self._source.read(4)
        if len(length) < 4:
            raise BadContainer("The backup is truncated: it ends before its last chunk.")
        (size,) = struct.unpack(">I", length)
        sealed = self._source.read(size) if size <= CHUNK + 64 else b""
        if len(sealed) != size or size < 16:
            raise BadContainer("The backup is truncated or damaged: chunk "
                               f"{self._number + 1} is incomplete.")
        for last in (False, True):
            try:
                self._buffer = self._aead.decrypt(_nonce(self._number, last), sealed, self._aad)
            except InvalidTag:
                continue
            self._ended = last
            self._number += 1
            if last and self._source.read(1):
                raise BadContainer("The backup is damaged: there are bytes after its last "
                                   "chunk.")
            return
        raise BadContainer(f"The backup is damaged or altered: chunk {self._number + 1} does "
                           "not authenticate.")

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size if size >= 0 else float("inf")
        have = 0
        while have < wanted:
            if not self._buffer:
                if self._ended:
                    break
                self._next_chunk()
                continue
            take = self._buffer[: int(min(wanted - have, len(self._buffer)))]
            self._buffer = self._buffer[len(take):]
            parts.append(take)
            have += len(take)
        return b"".join(parts)

    def drain(self) -> None:
        """Read (and so authenticate) to the end."""
        while self.read(CHUNK):
            pass

    def close(self) -> None:
        self.closed = True
