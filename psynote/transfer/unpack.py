"""`psynote import-practice`: a move package into an empty installation, or back into the
one the practice was deleted from, beside its other practices (ADR 0010).

Everything is checked before anything is written: the signature and every file's SHA-256
(exchange.verify, as `psynote verify-export` does), the package key (the sealed files
open), the table files against the hashes sealed with the secrets, the database schema,
and that the installation is empty (or the practice was deleted from it, and none of its
ids is in use). Then every row goes in, in one transaction, with the master-wrapped values
wrapped again under this installation's master key; the signing key and the audit
checkpoints are written once the rows are in. Any failure leaves the database as it was
and removes the files written.
"""

import base64
import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from psynote.audit import anchor, log
from psynote.exchange import verify
from psynote.lib import crypto, keyfiles, signing_keys
from psynote.transfer import keys, remove, tables
from psynote.transfer.pack import FORMAT, SECRETS, schema, table_path


class ImportRefused(Exception):
    """Nothing was imported; the message says why in one sentence."""


@dataclass
class Imported:
    practice_name: str
    counts: dict[str, int]
    head: dict[str, Any]


def _read_package(path: Path) -> tuple[verify.Package, dict[str, Any]]:
    try:
        found = verify.Package(path)
        facts, problems = verify.check(found)
    except (verify.Unreadable, OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ImportRefused(f"the package cannot be read ({error}).") from None
    if problems:
        raise ImportRefused(f"the package is damaged or was altered ({problems[0]}).")
    manifest = json.loads(found.read(verify.MANIFEST))
    move = manifest.get("move") or {}
    if move.get("format") != FORMAT:
        raise ImportRefused("this is a signed Psynote package, but not a practice move "
                            "(made by `psynote export-practice`).")
    return found, manifest


def _open(found: verify.Package, key: bytes, name: str) -> bytes:
    try:
        return keys.open_file(key, name, found.read(name))
    except crypto.DecryptionError:
        raise ImportRefused("the passphrase or key file does not open this package.") from None


def _taken(model: type, rows: list[list[Any]], columns: list[str], column: str) -> bool:
    """Whether any of the package's values of `column` is in the table here already."""
    at = columns.index(column)
    values = [row[at] for row in rows]
    lookup = f"{column}__in"
    return any(model._base_manager.filter(**{lookup: values[n:n + 500]}).exists()
               for n in range(0, len(values), 500))


def _check_target(manifest: dict[str, Any], practice_id: int, dumped: dict[str, Any]) -> None:
    """An empty installation, or the one the practice was deleted from (its tombstone names
    it), with none of the package's ids or usernames in use: the rows keep their ids, since
    ciphertexts are bound to them."""
    if schema() != manifest["move"]["schema"]:
        raise ImportRefused("this installation's database schema differs from the package's: "
                            "run the same Psynote version on both sides (upgrade the older).")
    occupied = next((m for m in tables.carried_models() if m._base_manager.exists()), None)
    if occupied is not None and practice_id not in remove.deleted_practice_ids():
        raise ImportRefused(
            f"this installation is not empty ({occupied._meta.db_table} holds rows): import "
            "into a new one (`psynote init` without --practice-name), or back into the "
            "installation the practice was deleted from.")
    for model in tables.carried_models() if occupied is not None else []:
        table = dumped[model._meta.db_table]
        if _taken(model, table["rows"], table["columns"], model._meta.pk.attname):
            raise ImportRefused(
                f"the package's ids are in use here ({model._meta.db_table}): import into "
                "a new installation (`psynote init` without --practice-name).")
    users = dumped["accounts_user"]
    if occupied is not None and _taken(tables.model_for("accounts_user"), users["rows"],
                                       users["columns"], "username"):
        raise ImportRefused("a username of the package's practice is in use in this "
                            "installation: usernames are unique across practices.")
    if signing_keys.key_path(practice_id).exists():
        raise ImportRefused(f"{signing_keys.key_path(practice_id)} exists already: this "
                            "installation had a practice before; use a new data folder.")
    if anchor.path_for(practice_id).exists():
        raise ImportRefused(f"{anchor.path_for(practice_id)} exists already: move it aside "
                            "(it belongs to another chain).")


def read(path: Path, *, passphrase: str | None, key_file: Path | None
         ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(manifest, secrets, tables) of a package, every check made, nothing written."""
    try:
        return _read(path, passphrase=passphrase, key_file=key_file)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ImportRefused(f"the package's contents are not a practice move this version "
                            f"of Psynote reads ({type(error).__name__}: {error}).") from None


def _read(path: Path, *, passphrase: str | None, key_file: Path | None
          ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    found, manifest = _read_package(path)
    try:
        key = keys.package_key(manifest["move"].get("key") or {}, passphrase, key_file)
    except keys.KeyProblem as problem:
        raise ImportRefused(str(problem).rstrip(".") + ".") from None
    secrets = json.loads(_open(found, key, SECRETS))
    wanted = {table_path(t) for t in manifest["move"]["counts"]}
    if set(secrets["files"]) != wanted:
        raise ImportRefused("the package's table files do not match its sealed list.")
    dumped: dict[str, Any] = {}
    for table in manifest["move"]["counts"]:
        name = table_path(table)
        if hashlib.sha256(found.read(name)).hexdigest() != secrets["files"][name]:
            raise ImportRefused(f"{name} is not the file sealed with the package's keys.")
        dumped[table] = json.loads(_open(found, key, name))
    private = serialization.load_pem_private_key(secrets["signing_key_pem"].encode(), None)
    public = base64.b64decode(manifest["signing_key"]["public_key"])
    if signing_keys.raw_public(private) != public:  # type: ignore[arg-type]
        raise ImportRefused("the package is signed with a key other than the practice's.")
    return manifest, secrets, dumped


def import_package(path: Path, *, passphrase: str | None, key_file: Path | None) -> Imported:
    manifest, secrets, dumped = read(path, passphrase=passphrase, key_file=key_file)
    practice_id = int(manifest["practice"]["id"])
    here = {m._meta.db_table for m in tables.carried_models()}
    if set(dumped) != here:
        raise ImportRefused("the package's tables are not this installation's: "
                            f"{sorted(set(dumped) ^ here)}.")
    _check_target(manifest, practice_id, dumped)
    written: list[Path] = []
    try:
        with transaction.atomic():
            keys.put_back(dumped, secrets["master_wrapped"])
            models = []
            # Children before parents: a trigger that reads a parent's state (a signed plan
            # version refuses new items) finds no parent yet. Foreign keys are checked at
            # commit on both engines (Django makes them DEFERRABLE INITIALLY DEFERRED).
            for model in reversed(tables.carried_models()):
                rows = tables.load_rows(model, dumped[model._meta.db_table])
                model._base_manager.bulk_create(rows, batch_size=500)
                models.append(model)
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(statement)
            log.record(practice_id=practice_id, action="practice.move_import",
                       target_type="practice", target_id=practice_id,
                       detail={"exported_head": manifest["audit_chain_head"],
                               "from": manifest["move"].get("vendor", "")})
            _write_files(practice_id, secrets, written)
    except (DatabaseError, OSError, KeyError, ValueError, keys.KeyProblem,
            crypto.DecryptionError) as error:
        for done in written:
            done.unlink(missing_ok=True)
        why = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ImportRefused(f"the database refused the rows ({why}); nothing was kept.") from None
    counts = {t: len(d["rows"]) for t, d in sorted(dumped.items())}
    return Imported(manifest["practice"]["name"], counts, manifest["audit_chain_head"])


def _write_files(practice_id: int, secrets: dict[str, Any], written: list[Path]) -> None:
    pem = signing_keys.key_path(practice_id)
    keyfiles.write_new(pem, secrets["signing_key_pem"].encode())
    written.append(pem)
    if secrets["anchor_lines"]:
        lines = anchor.path_for(practice_id)
        lines.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        keyfiles.write_new(lines, "\n".join(secrets["anchor_lines"]).encode())
        written.append(lines)
