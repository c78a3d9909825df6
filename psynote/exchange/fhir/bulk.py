"""Bulk-Data-style NDJSON: one resource type per file, one resource per line, and a
manifest {transactionTime, requiresAccessToken, output[{type, url}], error[]}
(docs/clinical-sources.md#bulk-data-ndjson).

`practice_bulk` streams the practice client by client (`.iterator()`), writing each
resource as soon as it is built: memory stays flat however many clients there are.
Psychotherapy notes never go into a practice export (default exports omit them:
docs/clinical-sources.md#psychotherapy-notes). Beside the FHIR files it writes the side
file (`record.py`) that lets another Psynote rebuild the record exactly; the manifest
names it under `extension`.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.db.models import Q

from psynote.accounts.models import Practice, User
from psynote.audit.models import ChainHead
from psynote.clients.models import Client
from psynote.exchange.fhir import build, record

MANIFEST = "manifest.json"
NDJSON_TYPE = "application/fhir+ndjson"


def client_ndjson(client: Client, scope: Iterable[str],
                  date_range: build.DateRange = (None, None)) -> dict[str, list[str]]:
    """The client's resources in scope as NDJSON lines, grouped by resource type."""
    files: dict[str, list[str]] = {}
    for resource in build.client_resources(client, scope, date_range):
        files.setdefault(resource["resourceType"], []).append(build.dumps(resource))
    return files


class _Writer:
    """One open NDJSON file per resource type, created on its first resource."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        handle = self.files.get(kind)
        if handle is None:
            handle = self.files[kind] = (self.out_dir / f"{kind}.ndjson").open(
                "w", encoding="utf-8", newline="\n")
            self.counts[kind] = 0
        handle.write(build.dumps(resource) + "\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def practice_bulk(practice: Practice, out_dir: Path | str, since: datetime | None = None
                  ) -> dict[str, Any]:
    """Write the practice's record as NDJSON files plus `manifest.json` into `out_dir`.

    `since` (Bulk Data `_since`) keeps only clients created or with sessions on or after
    that instant; the side file then covers the same clients. Returns the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    transaction_time = datetime.now(UTC)
    head = ChainHead.objects.filter(practice_id=practice.pk).first()
    writer = _Writer(out_dir)
    side = (out_dir / record.FILENAME).open("w", encoding="utf-8", newline="\n")
    try:
        for entry in record.practice_rows(practice):
            side.write(build.dumps(entry) + "\n")
        writer.write(build.organization(practice))
        for user in User.objects.filter(practice=practice).order_by("pk").iterator():
            writer.write(build.practitioner(user))
            writer.write(build.practitioner_role(user))
        clients = Client.objects.filter(practice=practice).order_by("pk")
        if since is not None:
            clients = clients.filter(Q(created_at__gte=since)
                                     | Q(sessions__created_at__gte=since)).distinct()
        for client in clients.iterator(chunk_size=200):
            for resource in build.client_resources(client, build.RECORD_SCOPE,
                                                   with_practitioners=False):
                writer.write(resource)
            for entry in record.client_rows(client):
                side.write(build.dumps(entry) + "\n")
    finally:
        writer.close()
        side.close()
    manifest = {
        "transactionTime": transaction_time.isoformat(),
        "request": f"Practice/{practice.pk}/$export",
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": f"{kind}.ndjson", "count": writer.counts[kind]}
                   for kind in sorted(writer.files)],
        "error": [],
        "extension": {
            "psynote": {
                "format": record.FORMAT,
                "record": record.FILENAME,
                "practice": {"id": practice.pk, "name": practice.name},
                "auditChainHead": {"seq": head.seq if head else 0,
                                   "hash": bytes(head.hash).hex() if head else ""},
                "sha256": {name: _sha256(out_dir / name) for name in
                           [record.FILENAME, *(f"{k}.ndjson" for k in sorted(writer.files))]},
            }
        },
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
