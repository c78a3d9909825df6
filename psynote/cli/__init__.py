"""The `psynote` command: set up, load the demo, add users, verify the record, serve.

Every subcommand is safe to repeat. Exit status: 0 done, 1 the record or the request is
wrong (a broken chain, a refused user), 2 the installation needs an operator's hand
(a missing master key, bad arguments).
"""

import argparse
import os
import sys
from collections.abc import Callable

from psynote.cli.backup import DEFAULT_KEEP, cmd_backup, cmd_restore
from psynote.cli.base import Refused
from psynote.cli.demo import cmd_demo
from psynote.cli.exchange import (
    cmd_delete_practice,
    cmd_export_fhir,
    cmd_export_practice,
    cmd_import_fhir,
    cmd_import_practice,
    cmd_verify_export,
)
from psynote.cli.installation import DEFAULT_BIND, cmd_init, cmd_manage, cmd_serve
from psynote.cli.records import cmd_retention, cmd_verify
from psynote.cli.search import cmd_reindex
from psynote.cli.users import cmd_createoperator, cmd_createpractice, cmd_createuser

__all__ = [
    "DEFAULT_BIND",
    "Refused",
    "build_parser",
    "cmd_backup",
    "cmd_createoperator",
    "cmd_createpractice",
    "cmd_createuser",
    "cmd_delete_practice",
    "cmd_demo",
    "cmd_export_fhir",
    "cmd_export_practice",
    "cmd_import_fhir",
    "cmd_import_practice",
    "cmd_init",
    "cmd_reindex",
    "cmd_manage",
    "cmd_restore",
    "cmd_retention",
    "cmd_serve",
    "cmd_verify",
    "cmd_verify_export",
    "main",
]


def connection_problem(database: dict, error: Exception) -> str:
    """One sentence, with the fix, for a database that refuses or cannot be reached."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    user = database.get("USER") or "(your OS user)"
    if "peer authentication failed" in text.lower():
        return (f"PostgreSQL refused user {user} (peer authentication): run psynote as the OS "
                f"user {user} (e.g. `sudo -u {user} ...`), or put a password in DATABASE_URL "
                f"(postgresql://{user}:PASSWORD@localhost/{database.get('NAME')}).")
    if "password authentication failed" in text.lower():
        return f"PostgreSQL refused the password for user {user}: check DATABASE_URL."
    return f"The database cannot be used ({text}): check DATABASE_URL and that the server runs."


def build_parser() -> argparse.ArgumentParser:
    from psynote.accounts.models import PRACTICE_ROLES

    parser = argparse.ArgumentParser(
        prog="psynote", description="Psynote: self-hosted therapy notes.",
        epilog="The data folder is PSYNOTE_HOME (default ./var). See README.md.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], text: str
            ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(func=func)
        return sub

    init = add("init", cmd_init, "Create the data folder, master key, database and practice.")
    init.add_argument("--practice-name",
                      help="create the practice with this name, when there is none yet")

    demo = add("demo", cmd_demo,
               "Load the two fictional demo practices into an empty installation.")
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing (exit 0) when users or clients exist already")

    user = add("createuser", cmd_createuser, "Add a user. The password is asked for on a "
               "terminal, else read from --password-file or PSYNOTE_NEW_PASSWORD.")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in PRACTICE_ROLES])
    user.add_argument("--practice", help="practice name or number (needed if several)")
    user.add_argument("--first-name", default="")
    user.add_argument("--last-name", default="")
    user.add_argument("--email", default="")
    user.add_argument("--credentials", default="", help='as signed on notes, e.g. "PhD, LP"')
    user.add_argument("--licence-number", default="")
    user.add_argument("--licence-state", default="")
    user.add_argument("--supervisor", help="username of this user's supervisor (review mode; "
                      "set other modes on the user's supervision page)")
    user.add_argument("--password", help="visible to other local users: prefer the prompt")
    user.add_argument("--password-file", help="read the password from this file")

    # The installation's operator and its practices (ADR 0017).
    operator = add("createoperator", cmd_createoperator, "Add an operator: belongs to no "
                   "practice, creates practices and sees their counts, never a record. The "
                   "password is asked for as by createuser.")
    operator.add_argument("--username", required=True)
    operator.add_argument("--email", default="")
    operator.add_argument("--first-name", default="")
    operator.add_argument("--last-name", default="")
    operator.add_argument("--password", help="visible to other local users: prefer the prompt")
    operator.add_argument("--password-file", help="read the password from this file")
    practice = add("createpractice", cmd_createpractice, "Add a practice (its own audit "
                   "chain, signing key, settings) and its first admin, whose one-time "
                   "password is printed once.")
    practice.add_argument("--name", required=True, help="the practice's name (unique)")
    practice.add_argument("--admin-username", required=True)
    practice.add_argument("--admin-email", required=True)
    practice.add_argument("--admin-first-name", default="")
    practice.add_argument("--admin-last-name", default="")

    add("verify", cmd_verify, "Recompute every audit chain and signed record; exit 1 naming "
        "the first broken link.")

    keep = add("retention", cmd_retention, "List the clients whose records the retention "
               "policy allows to destroy (destruction itself needs two people, in the app).")
    keep.add_argument("--practice", help="practice name or number (needed if several)")
    keep.add_argument("--on", default="", help="as of this date (YYYY-MM-DD); default today")

    reindex = add("reindex", cmd_reindex, "Rebuild the search index of the progress notes "
                  "from the notes themselves (after an upgrade that adds search, or at any "
                  "time: the index is derived data).")
    reindex.add_argument("--practice", help="practice name or number (default: all)")

    check = add("verify-export", cmd_verify_export, "Check an export package's signature "
                "and every file's SHA-256; exit 1 naming what is missing, extra or changed.")
    check.add_argument("package", help="the package .zip, or the folder it was unpacked into")
    check.add_argument("--fingerprint", default="",
                       help="the practice key fingerprint the package must be signed with")

    export = add("export-practice", cmd_export_practice, "Write one practice (every record, "
                 "the audit history, nothing of another practice) into one signed package, "
                 "sealed under a package passphrase or key file, to move it to another "
                 "Psynote installation (docs/adr/0010-practice-move.md).")
    export.add_argument("out", help="the package file to create, e.g. practice.zip")
    export.add_argument("--practice", help="practice name or number (needed if several)")
    load = add("import-practice", cmd_import_practice, "Import a package written by "
               "export-practice into an empty installation (`psynote init` first), or one "
               "whose other practices use none of its ids (e.g. the one it came from).")
    gone = add("delete-practice", cmd_delete_practice, "Delete every row of one practice, "
               "the others untouched, after a verified export of it (operator only).")
    gone.add_argument("--practice", required=True, help="practice name or number")
    gone.add_argument("--confirm", required=True, help="the practice's name, typed again")
    gone.add_argument("--export", help="its package from export-practice, made just before")
    gone.add_argument("--no-export-needed", action="store_true",
                      help="delete without an export (the record is lost for good)")
    load.add_argument("package", help="the package export-practice wrote")
    for sub in (export, load):
        sub.add_argument("--passphrase-file", help="read the package passphrase from this "
                         "file (else PSYNOTE_PACKAGE_PASSPHRASE, else a terminal prompt)")
        sub.add_argument("--key-file", help="a package key file instead of a passphrase "
                         "(export makes it when it does not exist)")

    fhir = add("export-fhir", cmd_export_fhir, "Write a practice's record as FHIR R4 Bulk "
               "NDJSON (+ manifest + side file) into a new folder, for other systems. Lossy: "
               "to move a practice, use export-practice.")
    fhir.add_argument("out", help="a new or empty folder")
    fhir.add_argument("--practice", help="practice name or number (needed if several)")

    fhir_in = add("import-fhir", cmd_import_fhir, "Import a folder written by export-fhir "
                  "into this EMPTY installation (run `psynote init` first).")
    fhir_in.add_argument("source", help="the folder export-fhir wrote")

    backup = add("backup", cmd_backup, "Write an encrypted online backup (database, signing "
                 "keys, audit checkpoints; never the master key) while the server runs. The "
                 "passphrase comes from PSYNOTE_BACKUP_PASSPHRASE_FILE, "
                 "PSYNOTE_BACKUP_PASSPHRASE or a prompt.")
    backup.add_argument("--out", help="folder for the backups (default PSYNOTE_BACKUP_DIR, "
                        "else $PSYNOTE_HOME/backups)")
    backup.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="keep the newest N "
                        f"backups in that folder, delete older ones (default {DEFAULT_KEEP}; "
                        "0 keeps all)")
    backup.add_argument("--check", metavar="FILE", help="verify this backup (decrypt, "
                        "authenticate, checksums, database integrity) without restoring it")
    backup.add_argument("--escrow-master-key", metavar="FILE", help="ALSO write the master "
                        "key to FILE, encrypted with its own passphrase "
                        "(PSYNOTE_ESCROW_PASSPHRASE_FILE, ..._PASSPHRASE or a prompt)")

    back = add("restore", cmd_restore, "Restore a backup into this EMPTY data folder (and "
               "empty PostgreSQL database), then check it as `psynote verify` does.")
    back.add_argument("file", help="the .psybak file written by psynote backup")
    back.add_argument("--master-key-escrow", metavar="FILE", help="put the master key back "
                      "from this escrow file (only when the installation has none)")

    serve = add("serve", cmd_serve, "Run the production web server (gunicorn).")
    serve.add_argument("--bind", default=DEFAULT_BIND, help=f"address:port ({DEFAULT_BIND})")
    serve.add_argument("--workers", type=int, default=2)

    manage = add("manage", cmd_manage, "Run a Django management command (e.g. migrate).")
    manage.add_argument("django_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Everything Psynote writes (exports, keys, anchors, the SQLite files) is the operator's
    # alone: 0600 files and 0700 folders, whatever the shell's umask says.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
    import django

    django.setup()
    args = build_parser().parse_args(argv)
    from django.conf import settings
    from django.db import OperationalError

    from psynote.lib import database_record
    from psynote.lib.crypto import MasterKeyMissing

    database = settings.DATABASES["default"]
    # First line, on stderr so that output meant for scripts stays clean.
    print(f"psynote: database {database_record.label(database_record.describe(database))}",
          file=sys.stderr)
    try:
        if args.command != "init":
            database_record.check(settings.HOME, database)
        return args.func(args)
    except database_record.WrongDatabase as error:
        print(f"psynote {args.command}: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"psynote {args.command}: {connection_problem(database, error)}", file=sys.stderr)
        return 2
    except Refused as refusal:
        print(f"psynote {args.command}: {refusal}", file=sys.stderr)
        return refusal.status
    except MasterKeyMissing as error:
        print(f"psynote {args.command}: {error}", file=sys.stderr)
        return 2
