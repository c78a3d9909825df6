"""Export packages: the files, a manifest of their hashes, and the practice's signature.

A package is a .zip holding the exported files, `manifest.json` and `manifest.sig`. The
manifest is canonical JSON (sorted keys, no spaces) listing each file's SHA-256 and size,
the content hashes of the signed records inside, the practice's audit chain head at
export time (so the export can be placed in the tamper-evident log), when and by which
practice it was made, and the public key. `manifest.sig` is the base64 Ed25519 signature
over the exact bytes of manifest.json. `verify.py` checks all of it without Psynote.
"""

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psynote.audit.models import ChainHead
from psynote.exchange import signing
from psynote.exchange.verify import FORMAT, MANIFEST, SIGNATURE
from psynote.lib import canonical_json

VERSION = 1

README = """\
Psynote export package
======================

Practice: {practice}
Created: {created_at}
Signing key fingerprint (SHA-256 of the Ed25519 public key):
  {fingerprint}

manifest.json lists every file in this package with its SHA-256 and size, the content
hashes of the signed records it contains and the practice's audit chain head when it was
made. manifest.sig is the practice's Ed25519 signature over manifest.json.

To check the package without Psynote, see "Verifying an export package" in the Psynote
documentation (docs/verify-export.md): one short script, Python and `cryptography`.
Compare the fingerprint above with the one the practice gives you by another channel.
"""


@dataclass
class Package:
    name: str
    data: bytes
    sha256: str
    manifest: dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_head(practice_id: int) -> dict[str, Any]:
    head = ChainHead.objects.filter(practice_id=practice_id).first()
    if head is None or not head.seq:
        return {"seq": 0, "hash": ""}
    return {"seq": head.seq, "hash": bytes(head.hash).hex()}


def build(
    *,
    practice: Any,
    name: str,
    files: dict[str, bytes],
    signed: dict[str, Any],
    created_at: datetime,
    extra: dict[str, Any] | None = None,
) -> Package:
    """Sign and zip `files`. `signed` is record kind → {id: content hash}."""
    private = signing.practice_key(practice)
    public = signing.raw_public(private)
    created = _iso(created_at)
    files = {
        **files,
        "README.txt": README.format(
            practice=practice.name,
            created_at=created,
            fingerprint=signing.grouped(signing.fingerprint(public)),
        ).encode(),
    }
    if {MANIFEST, SIGNATURE} & set(files):
        raise ValueError("a package file may not be called manifest.json or manifest.sig")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": created,
        "practice": {"id": practice.pk, "name": practice.name},
        "files": [
            {"path": path, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for path, body in sorted(files.items())
        ],
        "signed_records": signed,
        "audit_chain_head": {"practice_id": practice.pk, **chain_head(practice.pk)},
        "signing_key": {
            "algorithm": "Ed25519",
            "public_key": signing.public_b64(public),
            "fingerprint_sha256": signing.fingerprint(public),
        },
        **(extra or {}),
    }
    manifest_bytes = canonical_json.dumps(manifest)
    signature = base64.b64encode(private.sign(manifest_bytes)) + b"\n"
    buffer = io.BytesIO()
    stamp = created_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, body in [
            *sorted(files.items()),
            (MANIFEST, manifest_bytes),
            (SIGNATURE, signature),
        ]:
            archive.writestr(
                zipfile.ZipInfo(path, date_time=stamp), body, compress_type=zipfile.ZIP_DEFLATED
            )
    data = buffer.getvalue()
    return Package(name=name, data=data, sha256=hashlib.sha256(data).hexdigest(), manifest=manifest)
