"""The `psynote` command: set up, load the demo, add users, verify the record, serve.

Every subcommand is safe to repeat. Exit status: 0 done, 1 the record or the request is
wrong (a broken chain, a refused user), 2 the installation needs an operator's hand
(a missing master key, bad arguments).
"""

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_BIND = "127.0.0.1:8000"


class Refused(Exception):
    """A subcommand declines to go on; the message tells the operator why and what to do."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def _say(text: str = "") -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------------- init


def _client_count() -> int:
    """Clients in the database, 0 when the tables do not exist yet."""
    from django.db import connection

    from psynote.clients.models import Client

    if Client._meta.db_table not in connection.introspection.table_names():
        return 0
    return Client.objects.count()


def _check_master_key_opens_data() -> None:
    """A wrong key file would only show up later as unreadable notes: say so now."""
    from psynote.clients.models import SHREDDED_KEY, Client
    from psynote.lib import crypto

    # A record destroyed under retention has no key left to open.
    client = Client.objects.exclude(wrapped_key=SHREDDED_KEY).order_by("created_at").first()
    if client is None:
        return
    try:
        client.data_key()
    except crypto.DecryptionError:
        raise Refused(
            "The master key does not open the records in this database. Is "
            "PSYNOTE_MASTER_KEY_FILE (or PSYNOTE_MASTER_KEY) pointing at this installation's "
            "key? Restore the key file that was backed up with this database."
        ) from None


def cmd_init(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from psynote.accounts.models import Practice
    from psynote.audit import log
    from psynote.lib import crypto

    home = Path(settings.HOME)
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    _say(f"Data folder: {home}")

    key_file = Path(settings.MASTER_KEY_FILE)
    key_from_env = bool(os.environ.get("PSYNOTE_MASTER_KEY"))
    if not key_from_env and not key_file.exists():
        clients = _client_count()
        if clients:
            raise Refused(
                f"The database already holds {clients} client(s), but there is no master key "
                f"at {key_file}.\nA new key could not open their records: they would become "
                "unreadable. Restore master.key from your backup (or point "
                "PSYNOTE_MASTER_KEY_FILE at it), then run `psynote init` again."
            )
    if crypto.create_master_key_file():
        _say(f"Created a new master key: {key_file} (mode 0600).")
        _say("  Back it up now, SEPARATELY from the database: without it the records are lost.")
    else:
        _say("Master key: " + ("from PSYNOTE_MASTER_KEY" if key_from_env else str(key_file)))

    call_command("migrate", interactive=False, verbosity=0)
    _say("Database: migrations applied.")
    _check_master_key_opens_data()

    if not Practice.objects.exists() and not args.practice_name:
        _say("No practice yet: `psynote init --practice-name NAME` creates it, or "
             "`psynote demo` loads the fictional demo practice.")
    elif not Practice.objects.exists():
        with transaction.atomic():
            practice = Practice.objects.create(name=args.practice_name)
            log.record(practice_id=practice.pk, action="practice.create",
                       target_type="practice", target_id=practice.pk,
                       detail={"name": practice.name})
        _say(f"Practice created: {practice.name}")
    else:
        names = ", ".join(Practice.objects.order_by("pk").values_list("name", flat=True))
        _say(f"Practice: {names}")

    _ensure_export_keys()
    call_command("collectstatic", interactive=False, verbosity=0)
    _say(f"Static files collected in {settings.STATIC_ROOT}.")
    _say("Ready. Next: `psynote createuser ...` or `psynote demo`, then `psynote serve`.")
    return 0


def _ensure_export_keys() -> None:
    """Each practice's Ed25519 export-signing key (psynote.exchange.signing), made now so
    its fingerprint can be given to recipients before the first export."""
    from psynote.accounts.models import Practice
    from psynote.exchange import signing

    for practice in Practice.objects.order_by("pk"):
        try:
            key = signing.practice_key(practice)
        except signing.SigningKeyProblem as problem:
            raise Refused(str(problem)) from None
        _say(f"Export signing key of {practice.name}: {signing.key_path(practice.pk)} "
             f"(fingerprint {signing.fingerprint(signing.raw_public(key))})")


# ---------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from psynote import demo
    from psynote.accounts.models import Practice, User
    from psynote.clients.models import Client

    users, clients = User.objects.count(), Client.objects.count()
    if users or clients:
        if args.if_empty and Practice.objects.filter(name=demo.PRACTICE_NAME).exists():
            _say("The demo practice is loaded already.")
            _say(demo.logins_table())
            return 0
        message = (f"The database already holds {users} user(s) and {clients} client(s); "
                   "the demo is only loaded into an empty installation.")
        if args.if_empty:
            _say(message + " Nothing to do.")
            return 0
        raise Refused(message, status=1)
    started = time.perf_counter()
    summary = demo.load()
    _say(f"Loaded the fictional demo practice in {time.perf_counter() - started:.1f} s: "
         f"{summary.practice.name}")
    _say(f"  {summary.clients} clients, {summary.sessions} sessions, "
         f"{summary.signed_notes} signed notes, {summary.drafts} drafts, "
         f"{summary.audit_events} audit events.")
    _say()
    _say(demo.logins_table())
    return 0


# ---------------------------------------------------------------------------- createuser


def _new_password(args: argparse.Namespace) -> str:
    if args.password:
        return args.password
    if args.password_file:
        return Path(args.password_file).read_text().rstrip("\r\n")
    if os.environ.get("PSYNOTE_NEW_PASSWORD"):
        return os.environ["PSYNOTE_NEW_PASSWORD"]
    if not sys.stdin.isatty():
        raise Refused("No terminal to ask for the password: give --password-file FILE or set "
                      "PSYNOTE_NEW_PASSWORD.")
    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Again: ") != first:
        raise Refused("The two passwords differ.", status=1)
    return first


def _practice(selector: str | None) -> Any:
    from psynote.accounts.models import Practice

    practices = Practice.objects.order_by("pk")
    if selector is None:
        if practices.count() == 1:
            return practices.get()
        if not practices.exists():
            raise Refused("No practice yet: run `psynote init --practice-name NAME` first.")
        raise Refused("Name the practice with --practice (its name or number): "
                      + "; ".join(f"{p.pk}: {p.name}" for p in practices))
    found = practices.filter(pk=int(selector)) if selector.isdigit() else practices.filter(
        name=selector)
    if not found.exists():
        raise Refused(f"No practice {selector!r}.")
    return found.get()


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from psynote.accounts import actions
    from psynote.accounts.models import User

    practice = _practice(args.practice)
    fields: dict[str, Any] = {
        "role": args.role, "first_name": args.first_name, "last_name": args.last_name,
        "email": args.email, "credentials": args.credentials,
        "licence_number": args.licence_number, "licence_state": args.licence_state,
    }
    if args.supervisor:
        supervisor = User.objects.filter(practice=practice, username=args.supervisor).first()
        if supervisor is None:
            raise Refused(f"No user {args.supervisor!r} in {practice.name}.", status=1)
        fields["supervisor"] = supervisor
    if User.objects.filter(username=args.username).exists():
        raise Refused(f"The username {args.username!r} is taken.", status=1)
    password = _new_password(args)
    try:
        user = actions.create_user(by=None, practice=practice, username=args.username,
                                   password=password, **fields)
    except ValidationError as error:
        raise Refused("Not created: " + "; ".join(error.messages), status=1) from None
    _say(f"Created {user.get_role_display().lower()} {user.username} in {practice.name}.")
    return 0


# ---------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace) -> int:
    from psynote.accounts.models import Practice
    from psynote.audit.verify import check_practice
    from psynote.notes.integrity import destroyed_records, signed_records_problems
    from psynote.notes.models import Addendum, ProgressNote

    _check_master_key_opens_data()
    first_break = ""
    for practice in Practice.objects.order_by("pk"):
        _say(f"{practice.name} (practice {practice.pk})")
        started = time.perf_counter()
        check = check_practice(practice.pk)  # the chain, its checkpoints, a new checkpoint
        report = check.report
        seconds = max(time.perf_counter() - started, 1e-9)
        _say(f"  audit chain: {report.events:,} events checked in {seconds:.2f} s "
             f"({report.events / seconds:,.0f} events/s)")
        _say(f"  head hash: {report.head.hex() if report.events else '(empty chain)'}")
        for line in check.anchor_lines():
            _say(f"  {line}")
        if check.problems:
            first_break = first_break or check.problems[0]
            _say(f"  BROKEN: {check.problems[0]}")
            continue
        notes = ProgressNote.objects.signed().filter(client__practice=practice).count()
        addenda = Addendum.objects.filter(note__client__practice=practice).count()
        started = time.perf_counter()
        problem = next(signed_records_problems(practice.pk), None)
        _say(f"  signed records: {notes:,} progress notes and {addenda:,} addenda checked "
             f"in {time.perf_counter() - started:.2f} s")
        if problem is not None:
            first_break = first_break or str(problem)
            _say(f"  BROKEN: {problem}")
        for line in destroyed_records(practice.pk):
            _say(f"  {line}")
    if first_break:
        _say(f"BROKEN: {first_break}")
        return 1
    _say("OK: every audit chain and every signed record is intact.")
    return 0


# ---------------------------------------------------------------------------- retention


def cmd_retention(args: argparse.Namespace) -> int:
    from datetime import date

    from django.utils import timezone

    from psynote.records.retention import retention_due

    practice = _practice(args.practice)
    try:
        today = date.fromisoformat(args.on) if args.on else timezone.localdate()
    except ValueError:
        raise Refused(f"--on {args.on!r} is not a date (YYYY-MM-DD).") from None
    due = retention_due(practice, today)
    _say(f"{practice.name}: {len(due)} record(s) due for destruction on {today:%Y-%m-%d}")
    for entry in due:
        client = entry.client
        hold = "  LEGAL HOLD: keep" if entry.on_hold else ""
        _say(f"  {client.last_name}, {client.first_name} (born {client.date_of_birth:%Y-%m-%d})"
             f"  last service {entry.last_service:%Y-%m-%d}"
             f"  may be destroyed from {entry.destroy_after:%Y-%m-%d}  [{client.pk}]{hold}")
    return 0


# ---------------------------------------------------------------------------- verify-export


def cmd_verify_export(args: argparse.Namespace) -> int:
    from psynote.exchange import verify

    argv = [args.package] + (["--fingerprint", args.fingerprint] if args.fingerprint else [])
    return verify.main(argv)


# ------------------------------------------------------------------- export/import-practice


def cmd_export_practice(args: argparse.Namespace) -> int:
    from django.db import transaction

    from psynote.audit import log
    from psynote.exchange.fhir import bulk

    practice = _practice(args.practice)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise Refused(f"{out} is not empty: give a new folder for the export.", status=1)
    with transaction.atomic():
        manifest = bulk.practice_bulk(practice, out)
        log.record(practice_id=practice.pk, action="export.practice", target_type="practice",
                   target_id=practice.pk,
                   detail={"format": manifest["extension"]["psynote"]["format"],
                           "files": manifest["extension"]["psynote"]["sha256"]})
    _say(f"Exported {practice.name} to {out}: "
         + ", ".join(f"{o['count']} {o['type']}" for o in manifest["output"]) + ".")
    _say("  Psychotherapy notes and drafts are never in a practice export. The folder holds "
         "the whole record in clear text: keep it as safe as the database.")
    return 0


def cmd_import_practice(args: argparse.Namespace) -> int:
    from psynote.exchange.fhir import importer

    try:
        summary = importer.import_practice(args.source)
    except importer.ImportRefused as refusal:
        raise Refused(f"Nothing imported: {refusal}", status=1) from None
    _say(f"Imported {summary.practice.name}: "
         + ", ".join(f"{n} {kind}" for kind, n in summary.counts.items()) + ".")
    _say("  Every signed note and addendum re-hashed to its exported hash. Users have no "
         "password yet: set one with `psynote manage changepassword USERNAME`.")
    return 0


# ---------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    from psynote.lib import crypto

    try:
        crypto.master_key()
    except crypto.MasterKeyMissing as error:
        raise Refused(str(error)) from None
    if not Path(settings.STATIC_ROOT).is_dir():
        raise Refused("Static files are not collected yet: run `psynote init` first.")
    host, _, port = args.bind.rpartition(":")
    scheme = "https" if settings.HTTPS else "http"
    _say(f"Psynote is serving on {scheme}://{host or '127.0.0.1'}:{port}/ "
         f"({args.workers} workers; Ctrl-C stops it)")
    argv = [sys.executable, "-m", "gunicorn", "psynote.wsgi:application",
            "--bind", args.bind, "--workers", str(args.workers),
            "--error-logfile", "-", "--graceful-timeout", "10"]
    # exec: gunicorn takes over this process, so signals from the operator reach it directly.
    os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell
    return 0  # pragma: no cover - execv does not return


# ---------------------------------------------------------------------------- manage


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["psynote manage", *args.django_args])
    return 0


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from psynote.accounts.models import Role

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

    demo = add("demo", cmd_demo, "Load the fictional demo practice into an empty installation.")
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing (exit 0) when users or clients exist already")

    user = add("createuser", cmd_createuser, "Add a user. The password is asked for on a "
               "terminal, else read from --password-file or PSYNOTE_NEW_PASSWORD.")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=Role.values)
    user.add_argument("--practice", help="practice name or number (needed if several)")
    user.add_argument("--first-name", default="")
    user.add_argument("--last-name", default="")
    user.add_argument("--email", default="")
    user.add_argument("--credentials", default="", help='as signed on notes, e.g. "PhD, LP"')
    user.add_argument("--licence-number", default="")
    user.add_argument("--licence-state", default="")
    user.add_argument("--supervisor", help="username of this user's supervisor")
    user.add_argument("--password", help="visible to other local users: prefer the prompt")
    user.add_argument("--password-file", help="read the password from this file")

    add("verify", cmd_verify, "Recompute every audit chain and signed record; exit 1 naming "
        "the first broken link.")

    keep = add("retention", cmd_retention, "List the clients whose records the retention "
               "policy allows to destroy (destruction itself needs two people, in the app).")
    keep.add_argument("--practice", help="practice name or number (needed if several)")
    keep.add_argument("--on", default="", help="as of this date (YYYY-MM-DD); default today")

    check = add("verify-export", cmd_verify_export, "Check an export package's signature "
                "and every file's SHA-256; exit 1 naming what is missing, extra or changed.")
    check.add_argument("package", help="the package .zip, or the folder it was unpacked into")
    check.add_argument("--fingerprint", default="",
                       help="the practice key fingerprint the package must be signed with")

    export = add("export-practice", cmd_export_practice, "Write a practice's whole record "
                 "(FHIR R4 NDJSON + manifest + side file) into a new folder, for moving it to "
                 "another Psynote installation.")
    export.add_argument("out", help="a new or empty folder")
    export.add_argument("--practice", help="practice name or number (needed if several)")

    load = add("import-practice", cmd_import_practice, "Import a folder written by "
               "export-practice into this EMPTY installation (run `psynote init` first).")
    load.add_argument("source", help="the folder export-practice wrote")

    serve = add("serve", cmd_serve, "Run the production web server (gunicorn).")
    serve.add_argument("--bind", default=DEFAULT_BIND, help=f"address:port ({DEFAULT_BIND})")
    serve.add_argument("--workers", type=int, default=2)

    manage = add("manage", cmd_manage, "Run a Django management command (e.g. migrate).")
    manage.add_argument("django_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
    import django

    django.setup()
    args = build_parser().parse_args(argv)
    from psynote.lib.crypto import MasterKeyMissing

    try:
        return args.func(args)
    except Refused as refusal:
        print(f"psynote {args.command}: {refusal}", file=sys.stderr)
        return refusal.status
    except MasterKeyMissing as error:
        print(f"psynote {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
