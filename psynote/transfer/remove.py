"""`psynote delete-practice`: every row of one practice out of an installation that holds
several, the others untouched (ADR 0010, "Several practices").

Refused unless the practice's name is typed again, and unless a verified export of it is
given whose chain head is the practice's head now (nothing written since the export), or
the operator says none is needed. The rows go in one transaction: signed records and audit
events refuse deletion by trigger, so the triggers of the tables concerned are switched
off inside that transaction and put back before it commits (both engines roll DDL back,
and PostgreSQL holds the tables locked meanwhile, so no other writer ever sees them off).

The deletion leaves a tombstone outside the database, since the practice's own audit chain
goes with it: one JSON line in `PSYNOTE_HOME/deleted-practices.jsonl` with the practice's
id and name, when, the chain head it ended on, the export package's SHA-256 (if any) and
the row count per table; no clinical content. The practice's audit checkpoints move into
the line; its signing key file is removed (the export package carries it).
"""

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from psynote.accounts.models import Practice
from psynote.audit import anchor
from psynote.exchange import package, signing, verify
from psynote.lib import immutable, signing_keys
from psynote.transfer import scope, tables
from psynote.transfer.pack import FORMAT

TOMBSTONES = "deleted-practices.jsonl"


class DeleteRefused(Exception):
    """Nothing was deleted; the message says why in one sentence."""


@dataclass
class Deleted:
    practice_id: int
    name: str
    counts: dict[str, int]
    tombstone: Path


def tombstone_path() -> Path:
    return Path(settings.HOME) / TOMBSTONES


def deleted_practice_ids() -> set[int]:
    """The practices deleted from this installation, by their tombstones."""
    try:
        lines = tombstone_path().read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    return {int(json.loads(line)["practice_id"]) for line in lines if line.strip()}


def check_export(path: Path, practice: Practice) -> str:
    """The package's SHA-256, once it is shown to be a sound move package of `practice`,
    signed with its key, ending on its chain head as it is now."""
    try:
        found = verify.Package(path)
        _, problems = verify.check(found)
        manifest = json.loads(found.read(verify.MANIFEST))
    except (verify.Unreadable, OSError, ValueError, KeyError) as error:
        raise DeleteRefused(f"the export {path} cannot be read ({error}).") from None
    if problems:
        raise DeleteRefused(f"the export {path} is damaged or was altered ({problems[0]}).")
    if (manifest.get("move") or {}).get("format") != FORMAT:
        raise DeleteRefused(f"{path} is not a practice move package (`psynote "
                            "export-practice`).")
    if int(manifest["practice"]["id"]) != practice.pk:
        raise DeleteRefused(f"{path} is the export of another practice "
                            f"({manifest['practice']['name']!r}).")
    known = signing.known_public_key(practice)
    if known is None or signing.public_b64(known) != manifest["signing_key"]["public_key"]:
        raise DeleteRefused(f"{path} is not signed with this practice's key.")
    exported, now = manifest["audit_chain_head"], package.chain_head(practice.pk)
    if (exported["seq"], exported["hash"]) != (now["seq"], now["hash"]):
        raise DeleteRefused(f"the practice changed since {path} was made (its audit chain is "
                            f"at #{now['seq']}, the export at #{exported['seq']}): export it "
                            "again.")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _delete_rows(practice_id: int) -> dict[str, int]:
    """Every row of the practice, by primary key: the ids are all read before any row
    goes, since a child reaches its practice through parents deleted with it."""
    ids: dict[type, list[Any]] = {
        model: list(scope.rows_of(model, practice_id).values_list("pk", flat=True))
        for model in tables.carried_models()}
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model, pks in ids.items():
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(model._meta.pk.column)
            for start in range(0, len(pks), 500):
                chunk = [model._meta.pk.get_db_prep_value(pk, connection)
                         for pk in pks[start:start + 500]]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            counts[model._meta.db_table] = len(pks)
    return counts


def _end_sign_ins(practice_id: int) -> None:
    """The practice's users' sign-ins (not carried by a move, so not counted) end first."""
    from django.contrib.sessions.models import Session

    from psynote.accounts.models import SignedInSession

    signed_in = SignedInSession.objects.filter(user__practice_id=practice_id)
    Session.objects.filter(
        session_key__in=list(signed_in.values_list("session_key", flat=True))).delete()
    signed_in.delete()


def _tombstone(line: dict[str, Any]) -> Path:
    path = tombstone_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return path


def delete_practice(*, practice: Practice, confirm: str, export: Path | None,
                    no_export_needed: bool) -> Deleted:
    if confirm != practice.name:
        raise DeleteRefused(f"--confirm must be the practice's name, {practice.name!r}, "
                            "exactly.")
    if export is None and not no_export_needed:
        raise DeleteRefused("give the practice's export (--export PACKAGE, made by `psynote "
                            "export-practice --practice ...` just before), or say "
                            "--no-export-needed.")
    package_sha256 = check_export(export, practice) if export is not None else None
    practice_id, name = practice.pk, practice.name
    with transaction.atomic():
        Practice.objects.select_for_update().filter(pk=practice_id).first()
        head = package.chain_head(practice_id)
        statements = immutable.suspend_refusals({m._meta.db_table for m in tables.carried_models()})
        _end_sign_ins(practice_id)
        counts = _delete_rows(practice_id)
        immutable.resume_refusals(statements)
        # Inside the transaction: a tombstone that cannot be written deletes nothing.
        path = _tombstone({
            "event": "practice.deleted", "practice_id": practice_id, "practice_name": name,
            "at": datetime.now(UTC).isoformat(), "audit_chain_head": head,
            "export_sha256": package_sha256, "rows": counts,
            "anchor_lines": anchor.read_lines(practice_id) or []})
    for leftover in (signing_keys.key_path(practice_id), anchor.path_for(practice_id)):
        leftover.unlink(missing_ok=True)
    return Deleted(practice_id, name, counts, path)
