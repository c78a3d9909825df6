#!/usr/bin/env python3
"""Verify a Psynote export package: its Ed25519 signature and every file's SHA-256.

Needs only Python 3.9+ and the `cryptography` package, so that a receiving provider, an
auditor or a court can check a package without Psynote. `scripts/verify_export.py` is a
byte-identical copy of this file (a test keeps them so).

    python3 verify_export.py PACKAGE [--fingerprint HEX]

PACKAGE is the .zip a practice sent, or the folder it was unpacked into. The package's
manifest.json lists every file with its SHA-256 and size; manifest.sig is an Ed25519
signature (base64) over the exact bytes of manifest.json, made with the practice's key,
whose public half is in the manifest. Anyone could re-sign an altered package with a key
of their own, so compare the fingerprint printed here with the one the practice gives
you by another channel (phone, letter, their web page), or pass it as --fingerprint.

Exit status: 0 the package is intact; 1 it is not (each problem is named); 2 usage.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "psynote-export-package"
_CHUNK = 1 << 20


class Unreadable(Exception):
    pass


def unsafe_name(name: str) -> str:
    """Why a member name cannot be trusted, or "" if it is a plain relative path.

    An unzip tool writes such names outside the folder, or (for a duplicate) gives the
    reader whichever copy it finds first, so a forged copy could hide behind a genuine one."""
    if not name or "\\" in name or "\x00" in name:
        return "a backslash, NUL or empty name"
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if any(part in ("..", ".") for part in path.parts) or "//" in name:
        return "a path that climbs out of the package"
    return ""


class Package:
    """The files of a package, from a .zip or a folder, read without extracting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = None
        self.refusals: list = []
        if path.is_dir():
            self._names = sorted(
                p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()
            )
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                raise Unreadable(f"{path} is neither a folder nor a .zip file") from None
            members = [i.filename for i in self._zip.infolist() if not i.is_dir()]
            seen: set = set()
            for name in members:
                why = unsafe_name(name)
                if why:
                    self.refusals.append(f"refused: member {name!r} has {why}")
                elif name in seen:
                    self.refusals.append(
                        f"refused: {name} appears more than once in the zip (a forged copy "
                        "may hide behind the genuine one)"
                    )
                seen.add(name)
            self._names = sorted(seen)
        else:
            raise Unreadable(f"{path}: no such file or folder")

    def names(self) -> list:
        return list(self._names)

    def _open(self, name: str):  # type: ignore[no-untyped-def]
        if self._zip is not None:
            return self._zip.open(name)
        return (self.path / name).open("rb")

    def read(self, name: str) -> bytes:
        try:
            with self._open(name) as handle:
                return handle.read()
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise Unreadable(f"corrupt: {name} cannot be read ({error})") from None

    def digest(self, name: str) -> tuple:
        sha, size = hashlib.sha256(), 0
        try:
            with self._open(name) as handle:
                while chunk := handle.read(_CHUNK):
                    sha.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise Unreadable(f"corrupt: {name} cannot be read ({error})") from None
        return sha.hexdigest(), size


def check(package: Package, fingerprint: str = "") -> tuple:
    """(facts, problems): what the manifest says, and everything wrong, by file name."""
    facts, problems = {}, list(package.refusals)
    if problems:
        # Nothing in a package with ambiguous or escaping names is worth reading further.
        return facts, problems
    names = set(package.names())
    for required in (MANIFEST, SIGNATURE):
        if required not in names:
            problems.append(f"missing: {required} (not a signed Psynote export package)")
    if problems:
        return facts, problems
    manifest_bytes = package.read(MANIFEST)
    try:
        manifest = json.loads(manifest_bytes)
        key = manifest["signing_key"]
        public = base64.b64decode(key["public_key"], validate=True)
        entries = manifest["files"]
        if manifest.get("format") != FORMAT or key.get("algorithm") != "Ed25519":
            raise ValueError("not a Psynote export manifest")
        if len(public) != 32:
            raise ValueError("the public key is not 32 bytes")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("its file list is not a list of entries")
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        return facts, [f"changed: {MANIFEST} cannot be read ({error})"]
    facts["fingerprint"] = hashlib.sha256(public).hexdigest()
    for name in ("practice", "created_at", "audit_chain_head", "disclosure_id"):
        facts[name] = manifest.get(name)
    try:
        signature = base64.b64decode(package.read(SIGNATURE).strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError, binascii.Error):
        problems.append(
            f"signature: {SIGNATURE} does not match {MANIFEST}; the manifest was "
            "changed after signing, or signed with another key"
        )
    wanted = fingerprint.replace(" ", "").replace(":", "").lower()
    if wanted and wanted != facts["fingerprint"]:
        problems.append(
            f"key: the package was signed with key {facts['fingerprint']}, "
            f"not the expected {wanted}"
        )
    listed = set()
    for entry in entries:
        name = str(entry.get("path", ""))
        why = unsafe_name(name)
        if why:
            problems.append(f"changed: {MANIFEST} lists {name!r}, which has {why}")
            continue
        if name in listed or name in (MANIFEST, SIGNATURE):
            problems.append(f"changed: {MANIFEST} lists {name} more than once")
            continue
        listed.add(name)
        if name not in names:
            problems.append(f"missing: {name}")
            continue
        try:
            digest, size = package.digest(name)
        except Unreadable as error:
            problems.append(str(error))
            continue
        if digest != entry.get("sha256") or size != entry.get("size"):
            problems.append(
                f"changed: {name} (SHA-256 {digest}, {size} bytes; the manifest "
                f"says {entry.get('sha256')}, {entry.get('size')} bytes)"
            )
    for name in sorted(names - listed - {MANIFEST, SIGNATURE}):
        problems.append(f"extra: {name} (not in the manifest)")
    facts["files"] = len(listed)
    return facts, problems


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_export.py", description="Verify a Psynote export package."
    )
    parser.add_argument("package", help="the package .zip, or the folder it was unpacked into")
    parser.add_argument(
        "--fingerprint", default="", help="the practice's key fingerprint, obtained out of band"
    )
    args = parser.parse_args(argv)
    try:
        facts, problems = check(Package(Path(args.package)), args.fingerprint)
    except (Unreadable, OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
        print(f"FAILED: {error}")
        return 1
    print(f"Package: {args.package}")
    if facts.get("fingerprint"):
        practice = facts.get("practice") or {}
        head = facts.get("audit_chain_head") or {}
        print(f"Practice: {practice.get('name', '?')}")
        print(f"Created: {facts.get('created_at')}")
        print(f"Signing key fingerprint (SHA-256): {facts['fingerprint']}")
        print(f"Audit chain head at export: #{head.get('seq')} {head.get('hash')}")
        print(f"Files listed in the manifest: {facts.get('files', 0)}")
    if problems:
        for problem in problems:
            print(f"FAILED {problem}")
        return 1
    print("OK: the signature is valid and every file matches the manifest.")
    if not args.fingerprint:
        print("Compare the fingerprint above with the one the practice gave you out of band.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
