"""`psynote verify-export`, `export-practice`/`import-practice`/`delete-practice` (moving
a practice, all of it, or removing it: psynote.transfer) and `export-fhir`/`import-fhir`
(FHIR R4 Bulk NDJSON, for interoperability: lossy by nature)."""

import argparse
from pathlib import Path

from psynote.cli.base import Refused, say, select_practice


def cmd_verify_export(args: argparse.Namespace) -> int:
    from psynote.exchange import verify

    argv = [args.package] + (["--fingerprint", args.fingerprint] if args.fingerprint else [])
    return verify.main(argv)


def cmd_export_fhir(args: argparse.Namespace) -> int:
    from django.db import transaction

    from psynote.audit import log
    from psynote.exchange.fhir import bulk
    from psynote.lib.replica import replica_reads

    practice = select_practice(args.practice)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise Refused(f"{out} is not empty: give a new folder for the export.", status=1)
    with replica_reads():  # the heavy read may go to a replica; its event to the primary
        manifest = bulk.practice_bulk(practice, out)
    with transaction.atomic():
        log.record(practice_id=practice.pk, action="export.practice", target_type="practice",
                   target_id=practice.pk,
                   detail={"format": manifest["extension"]["psynote"]["format"],
                           "files": manifest["extension"]["psynote"]["sha256"]})
    say(f"Exported {practice.name} to {out}: "
        + ", ".join(f"{o['count']} {o['type']}" for o in manifest["output"]) + ".")
    say("  FHIR is for other systems: psychotherapy notes, drafts, plans' history, schedules, "
        "alerts, the disclosure log and most of the audit history are not in it. To move a "
        "practice to another Psynote, use `psynote export-practice`. The folder holds the "
        "record in clear text: keep it as safe as the database.")
    return 0


def cmd_import_fhir(args: argparse.Namespace) -> int:
    from psynote.exchange.fhir import importer

    try:
        summary = importer.import_practice(args.source)
    except importer.ImportRefused as refusal:
        raise Refused(f"Nothing imported: {refusal}", status=1) from None
    say(f"Imported {summary.practice.name}: "
        + ", ".join(f"{n} {kind}" for kind, n in summary.counts.items()) + ".")
    say("  Every signed note and addendum re-hashed to its exported hash. Users have no "
        "password yet: set one with `psynote manage changepassword USERNAME`.")
    return 0


def _package_key_source(args: argparse.Namespace, *, confirm: bool) -> tuple[str | None,
                                                                           Path | None]:
    from psynote.transfer import keys

    if args.key_file:
        return None, Path(args.key_file)
    try:
        passphrase = keys.read_passphrase(args.passphrase_file, confirm=confirm)
    except keys.KeyProblem as problem:
        raise Refused(str(problem), status=2) from None
    if passphrase is None:
        raise Refused("Give the package passphrase with --passphrase-file FILE, "
                      f"{keys.PASSPHRASE_ENV}, or on a terminal; or use --key-file FILE.")
    return passphrase, None


def cmd_export_practice(args: argparse.Namespace) -> int:
    from psynote.transfer import pack

    practice = select_practice(args.practice)
    passphrase, key_file = _package_key_source(args, confirm=True)
    try:
        done = pack.export(out=Path(args.out), passphrase=passphrase, key_file=key_file,
                           practice=practice)
    except pack.ExportRefused as refusal:
        raise Refused(f"Nothing exported: {refusal}", status=1) from None
    rows = sum(done.counts.values())
    say(f"Exported {practice.name} to {done.path} (mode 0600): {rows:,} rows in "
        f"{len(done.counts)} tables; audit chain head #{done.head['seq']} {done.head['hash']}.")
    say(f"  Signed with the practice key {done.fingerprint}; every file is sealed under the "
        "package key" + (f" in {key_file}" if key_file else " made from your passphrase")
        + ". Give the key to the target's operator by another channel than the package.")
    return 0


def cmd_import_practice(args: argparse.Namespace) -> int:
    from psynote.transfer import unpack

    passphrase, key_file = _package_key_source(args, confirm=False)
    try:
        done = unpack.import_package(Path(args.package), passphrase=passphrase,
                                     key_file=key_file)
    except unpack.ImportRefused as refusal:
        raise Refused(f"Nothing imported: {refusal}", status=1) from None
    say(f"Imported {done.practice_name}: {sum(done.counts.values()):,} rows in "
        f"{len(done.counts)} tables; the audit chain goes on from #{done.head['seq']} "
        f"{done.head['hash']}.")
    say("  Everyone signs in again with their own password (and second factor); "
        "psychotherapy notes open for their authors as before. Run `psynote verify` now.")
    return 0


def cmd_delete_practice(args: argparse.Namespace) -> int:
    from psynote.transfer import remove

    practice = select_practice(args.practice)
    try:
        done = remove.delete_practice(
            practice=practice, confirm=args.confirm,
            export=Path(args.export) if args.export else None,
            no_export_needed=args.no_export_needed)
    except remove.DeleteRefused as refusal:
        raise Refused(f"Nothing deleted: {refusal}", status=1) from None
    say(f"Deleted {done.name} (practice {done.practice_id}): "
        f"{sum(done.counts.values()):,} rows in one transaction; the other practices are "
        f"untouched. Tombstone (no clinical content) appended to {done.tombstone}.")
    return 0
