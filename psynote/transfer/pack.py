"""`psynote export-practice`: the whole record of one practice in one signed package (every
row of it, none of another practice's when the installation holds several).

The package is a signed export package (psynote.exchange.package: manifest.json with each
file's SHA-256, manifest.sig by the practice's Ed25519 key, so `psynote verify-export`
checks it) whose files are sealed under the package key (transfer.keys):

- `tables/<table>.sealed`: every row of the table, every column, primary keys kept.
  Ciphertexts stay as they are (sealed under client and author keys); the values wrapped
  by the master key are taken out of the rows,
- `secrets.sealed`: and carried here, opened from the master key, with the audit chain
  key, the practice's signing key, its audit checkpoints and the SHA-256 of every table
  file (so a package re-signed with another key still fails to open as a whole).
"""

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from psynote.accounts.models import Practice
from psynote.audit import anchor, log
from psynote.exchange import package, signing
from psynote.lib import canonical_json, keyfiles
from psynote.transfer import keys, scope, tables

FORMAT = "psynote-practice-move"
VERSION = 1
SECRETS = "secrets.sealed"


class ExportRefused(Exception):
    pass


@dataclass
class Exported:
    path: Path
    counts: dict[str, int]
    head: dict[str, Any]
    fingerprint: str


def schema() -> dict[str, list[str]]:
    """The migrations applied, per app: the target must have exactly these."""
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def table_path(table: str) -> str:
    return f"tables/{table}.sealed"


def _check_nothing_left_behind() -> None:
    for table, reason in tables.MUST_BE_EMPTY.items():
        if tables.model_for(table)._base_manager.exists():
            raise ExportRefused(f"{table} holds rows, which a move does not carry ({reason}): "
                                "remove them first.")


def export(*, out: Path, passphrase: str | None, key_file: Path | None,
           practice: Practice | None = None) -> Exported:
    """Write `practice` (the only one, if None) and every row of it, nothing of any other
    practice in the installation (transfer.scope)."""
    if practice is None:
        practices = list(Practice.objects.order_by("pk"))
        if len(practices) != 1:
            raise ExportRefused(
                f"This installation holds {len(practices)} practices: name the one to export "
                "with --practice (its name or number).")
        practice = practices[0]
    if out.exists():
        raise ExportRefused(f"{out} exists already: give a new file name.")
    _check_nothing_left_behind()
    try:
        package_key, recipe = keys.describe_new(passphrase, key_file)
    except keys.KeyProblem as problem:
        raise ExportRefused(str(problem)) from None
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table (SQLite's transaction is one already).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # Made now if the practice never exported (its row must be in the package), and
        # refused if the key file is not the key on record.
        try:
            private = signing.practice_key(practice)
        except signing.SigningKeyProblem as problem:
            raise ExportRefused(str(problem)) from None
        # The package records its own making: the event is in the chain it carries.
        log.record(practice_id=practice.pk, action="practice.move_export",
                   target_type="practice", target_id=practice.pk,
                   detail={"format": FORMAT, "version": VERSION})
        dumped = {m._meta.db_table: tables.dump(m, scope.of_practice(m, practice.pk))
                  for m in tables.carried_models()}
        taken = keys.take_out(dumped)
        files = {table_path(t): keys.seal_file(package_key, table_path(t),
                                               canonical_json.dumps(d))
                 for t, d in dumped.items()}
        secrets = {
            "master_wrapped": taken,
            "signing_key_pem": private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode(),
            "anchor_lines": anchor.read_lines(practice.pk) or [],
            "files": {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items())},
        }
        files[SECRETS] = keys.seal_file(package_key, SECRETS, canonical_json.dumps(secrets))
        counts = {t: len(d["rows"]) for t, d in sorted(dumped.items())}
        built = package.build(
            practice=practice, name=out.name, files=files, signed={},
            created_at=datetime.now(UTC),
            extra={"move": {"format": FORMAT, "version": VERSION, "key": recipe,
                            "schema": schema(), "counts": counts,
                            "vendor": connection.vendor}},
        )
        # Inside the transaction: a package that cannot be written leaves no export event.
        _write(out, built.data)
    return Exported(out, counts, built.manifest["audit_chain_head"],
                    signing.fingerprint(signing.raw_public(private)))


def _write(out: Path, data: bytes) -> None:
    """A new file, 0600, in a folder made 0700 if it is new."""
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        keyfiles.write_new(out, data)
    except OSError as error:
        raise ExportRefused(f"{out} cannot be written ({error.strerror or error}).") from None
    os.chmod(out, 0o600)
