"""Signed checkpoints of each practice's audit chain, kept outside the database (ADR 0003).

`<PSYNOTE_ANCHOR_DIR>/practice-<id>.jsonl` holds one checkpoint a line and is only ever
appended to (folder 0700, file 0600):

    {"at":"2026-01-05T09:00:00.000000Z","head":"<link, hex>","keyed_from":1,
     "key":"<fingerprint>","practice":7,"seq":1234,"sig":"<base64>"}

`sig` is the practice's Ed25519 signature (the export-signing key, psynote.lib.signing_keys)
of `SIGNED_PREFIX` + the canonical JSON of the other fields. The prefix keeps a checkpoint
signature from ever passing for an export manifest's, which the same key signs. `key` is
the SHA-256 fingerprint of the public key, so that anyone can check a line off the server.

Checkpoints are written by every verify (audit.verify) and by the server on the first
event committed a day or more after the practice's newest checkpoint (`after_commit`).
"""

import base64
import binascii
import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from psynote.lib import canonical_json, signing_keys

SIGNED_PREFIX = b"psynote audit checkpoint v1\n"
DAILY_SECONDS = 24 * 3600
RETRY_SECONDS = 3600
_FIELDS = {"at", "head", "keyed_from", "key", "practice", "seq", "sig"}

log = logging.getLogger("psynote.audit")


@dataclass(frozen=True)
class Head:
    """What a checkpoint anchors: a chain's length, its last link, where keyed links begin."""

    practice_id: int
    seq: int
    link: bytes
    keyed_from: int


@dataclass(frozen=True)
class Checkpoint:
    head: Head
    at: str
    key: str
    line: int

    def where(self) -> str:
        return f"checkpoint of {self.at} (line {self.line} of {path_for(self.head.practice_id)})"


def folder() -> Path:
    return Path(settings.ANCHOR_DIR)


def path_for(practice_id: int) -> Path:
    return folder() / f"practice-{practice_id}.jsonl"


def _now_text() -> str:
    return timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _signed_bytes(fields: dict[str, object]) -> bytes:
    return SIGNED_PREFIX + canonical_json.dumps({k: v for k, v in fields.items() if k != "sig"})


# --- the key -------------------------------------------------------------------------


def signing_key(practice_id: int, *, anchored: bool) -> Ed25519PrivateKey:
    """The practice's signing key. Made when missing, unless checkpoints signed with the
    old one exist: then only the file from a backup can check them."""
    path = signing_keys.key_path(practice_id)
    if not path.exists():
        if anchored:
            raise signing_keys.SigningKeyProblem(
                f"The practice's signing key file is missing: {path}. Its audit checkpoints "
                f"in {path_for(practice_id)} were signed with it; restore the file from your "
                "backup."
            )
        signing_keys.create(path)
    return signing_keys.load(path)


# --- reading -------------------------------------------------------------------------


def read_lines(practice_id: int) -> list[str] | None:
    """The practice's checkpoint lines; None when it has no checkpoint file."""
    try:
        text = path_for(practice_id).read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    return text.split("\n")


def _checkpoint(line: str, number: int, practice_id: int) -> tuple[Checkpoint, bytes, bytes]:
    """The checkpoint on one line, the bytes it signs and its signature; ValueError saying
    what is wrong."""
    try:
        fields = json.loads(line)
    except ValueError:
        raise ValueError("it is not a checkpoint (damaged or edited)") from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise ValueError("it is not a checkpoint (damaged or edited)")
    ints = (fields["practice"], fields["seq"], fields["keyed_from"])
    texts = (fields["at"], fields["head"], fields["key"], fields["sig"])
    if not all(type(v) is int for v in ints) or not all(isinstance(v, str) for v in texts):
        raise ValueError("it is not a checkpoint (damaged or edited)")
    if fields["practice"] != practice_id:
        raise ValueError(f"it is a checkpoint of practice {fields['practice']}, not of this one")
    try:
        head = bytes.fromhex(fields["head"])
        signature = base64.b64decode(fields["sig"], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("it is not a checkpoint (damaged or edited)") from None
    checkpoint = Checkpoint(
        Head(practice_id, fields["seq"], head, fields["keyed_from"]),
        fields["at"],
        fields["key"],
        number,
    )
    return checkpoint, _signed_bytes(fields), signature


def parse(
    lines: list[str], practice_id: int, public: bytes
) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints whose signature verifies under `public`, and what is wrong with the
    other lines (each a failure: nothing but Psynote writes this file)."""
    verifier = Ed25519PublicKey.from_public_bytes(public)
    ours = signing_keys.fingerprint(public)
    found: list[Checkpoint] = []
    problems: list[str] = []
    path = path_for(practice_id)
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if not line and index == last:  # the newline that ends the last checkpoint
            continue
        where = f"line {index + 1} of {path}"
        try:
            checkpoint, message, signature = _checkpoint(line, index + 1, practice_id)
        except ValueError as wrong:
            problems.append(f"audit checkpoint {where}: {wrong}")
            continue
        if checkpoint.key != ours:
            problems.append(
                f"audit checkpoint {where}: it names the key {checkpoint.key}, not the "
                f"practice's signing key {ours} (forged, or signed with another key)"
            )
            continue
        try:
            verifier.verify(signature, message)
        except InvalidSignature:
            problems.append(
                f"audit checkpoint {where}: its signature does not verify (forged or altered)"
            )
            continue
        found.append(checkpoint)
    return found, problems


# --- writing -------------------------------------------------------------------------


def append(head: Head, private: Ed25519PrivateKey) -> Checkpoint:
    """Sign `head` and append it to the practice's checkpoint file; OSError when the folder
    cannot be written. The folder is made (0700) when its parent exists."""
    directory = folder()
    if not directory.is_dir():
        directory.mkdir(mode=0o700)
    fields: dict[str, object] = {
        "at": _now_text(),
        "head": head.link.hex(),
        "keyed_from": head.keyed_from,
        "key": signing_keys.fingerprint(signing_keys.raw_public(private)),
        "practice": head.practice_id,
        "seq": head.seq,
    }
    fields["sig"] = base64.b64encode(private.sign(_signed_bytes(fields))).decode()
    line = canonical_json.dumps(fields) + b"\n"
    path = path_for(head.practice_id)
    # O_APPEND only: works on a file the operator made append-only (chattr +a), and never
    # truncates. The lock keeps two workers' lines whole.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return Checkpoint(head, str(fields["at"]), str(fields["key"]), 0)


def write_quietly(head: Head) -> bool:
    """Append a checkpoint where nobody waits for the answer (the server, a migration):
    a problem is logged, never raised."""
    try:
        private = signing_key(head.practice_id, anchored=path_for(head.practice_id).exists())
        append(head, private)
    except (OSError, signing_keys.SigningKeyProblem) as problem:
        log.warning("psynote: no audit checkpoint written for practice %s: %s",
                    head.practice_id, problem)
        return False
    return True


# --- the server's daily checkpoint -----------------------------------------------------

# (anchor folder, practice) -> when the newest checkpoint was written, as far as this
# process knows; saves reading the file for every event.
_newest: dict[tuple[str, int], float] = {}


def _seconds_now() -> float:
    return time.time()


def _newest_time(practice_id: int) -> float | None:
    """When the newest line of the practice's file says it was written (not checked here:
    verify checks every line)."""
    try:
        with path_for(practice_id).open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            tail = handle.read().decode("utf-8", errors="replace").strip().split("\n")[-1]
        at = json.loads(tail)["at"]
        return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def after_commit(head: Head) -> None:
    """Called for every event appended (inside its transaction): once the practice's newest
    checkpoint is a day old, anchor this head when the event commits."""
    known = _newest.get((str(folder()), head.practice_id))
    if known is not None and _seconds_now() - known < DAILY_SECONDS:
        return
    transaction.on_commit(partial(_daily, head), robust=True)


def _daily(head: Head) -> None:
    slot = (str(folder()), head.practice_id)
    now = _seconds_now()
    newest = _newest_time(head.practice_id)
    if newest is not None and now - newest < DAILY_SECONDS:
        _newest[slot] = newest
        return
    # A failed write is tried again in an hour, not at every event.
    _newest[slot] = now if write_quietly(head) else now - DAILY_SECONDS + RETRY_SECONDS
