"""`psynote verify-export`, `export-practice` and `import-practice`: packages in and out."""

import argparse
from pathlib import Path

from psynote.cli.base import Refused, say, select_practice


def cmd_verify_export(args: argparse.Namespace) -> int:
    from psynote.exchange import verify

    argv = [args.package] + (["--fingerprint", args.fingerprint] if args.fingerprint else [])
    return verify.main(argv)


def cmd_export_practice(args: argparse.Namespace) -> int:
    from django.db import transaction

    from psynote.audit import log
    from psynote.exchange.fhir import bulk

    practice = select_practice(args.practice)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise Refused(f"{out} is not empty: give a new folder for the export.", status=1)
    with transaction.atomic():
        manifest = bulk.practice_bulk(practice, out)
        log.record(practice_id=practice.pk, action="export.practice", target_type="practice",
                   target_id=practice.pk,
                   detail={"format": manifest["extension"]["psynote"]["format"],
                           "files": manifest["extension"]["psynote"]["sha256"]})
    say(f"Exported {practice.name} to {out}: "
        + ", ".join(f"{o['count']} {o['type']}" for o in manifest["output"]) + ".")
    say("  Psychotherapy notes and drafts are never in a practice export. The folder holds "
        "the whole record in clear text: keep it as safe as the database.")
    return 0


def cmd_import_practice(args: argparse.Namespace) -> int:
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
