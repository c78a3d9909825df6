"""`psynote init`, `serve` and `manage`: the data folder, the keys, the server."""

import argparse
import os
import sys
from pathlib import Path

from psynote.cli.base import Refused, say

DEFAULT_BIND = "127.0.0.1:8000"


def _client_count() -> int:
    """Clients in the database, 0 when the tables do not exist yet."""
    from django.db import connection

    from psynote.clients.models import Client

    if Client._meta.db_table not in connection.introspection.table_names():
        return 0
    return Client.objects.count()


def check_master_key_opens_data() -> None:
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
    from django.core.exceptions import ValidationError
    from django.core.management import call_command

    from psynote.accounts.models import Practice
    from psynote.lib import crypto, database_record
    from psynote.operators.actions import create_practice

    home = Path(settings.HOME)
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    say(f"Data folder: {home}")

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
        say(f"Created a new master key: {key_file} (mode 0600).")
        say("  Back it up now, SEPARATELY from the database: without it the records are lost.")
    else:
        say("Master key: " + ("from PSYNOTE_MASTER_KEY" if key_from_env else str(key_file)))

    database_record.check(home, settings.DATABASES["default"])
    call_command("migrate", interactive=False, verbosity=0)
    database_record.write(home, settings.DATABASES["default"])
    say("Database: migrations applied "
        f"({database_record.label(database_record.describe(settings.DATABASES['default']))}; "
        f"recorded in {home / database_record.FILENAME}).")
    check_master_key_opens_data()

    if not Practice.objects.exists() and not args.practice_name:
        say("No practice yet: `psynote init --practice-name NAME` creates it, or "
            "`psynote demo` loads the fictional demo practice.")
    elif not Practice.objects.exists():
        # The first practice only: more come from `psynote createpractice` (ADR 0017).
        try:
            made = create_practice(by=None, name=args.practice_name, with_admin=False)
        except ValidationError as error:
            raise Refused("No practice created: " + "; ".join(error.messages)) from None
        say(f"Practice created: {made.practice.name}")
    else:
        names = ", ".join(Practice.objects.order_by("pk").values_list("name", flat=True))
        say(f"Practice: {names}")
        if args.practice_name and not Practice.objects.filter(name=args.practice_name).exists():
            say("  (--practice-name only names the first practice: add another with "
                "`psynote createpractice`.)")

    _ensure_export_keys()
    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"Static files collected in {settings.STATIC_ROOT}.")
    if Practice.objects.exists():
        say("Ready. Next: `psynote createuser ...`, then `psynote serve`.")
    else:
        say("Ready. Next: `psynote init --practice-name NAME` and `psynote createuser ...`, "
            "or `psynote demo` for the fictional demo; then `psynote serve`.")
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
        say(f"Export signing key of {practice.name}: {signing.key_path(practice.pk)} "
            f"(fingerprint {signing.fingerprint(signing.raw_public(key))})")


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
    say(f"Psynote is serving on {scheme}://{host or '127.0.0.1'}:{port}/ "
        f"({args.workers} workers; Ctrl-C stops it)")
    argv = [sys.executable, "-m", "gunicorn", "psynote.wsgi:application",
            "--bind", args.bind, "--workers", str(args.workers),
            "--error-logfile", "-", "--graceful-timeout", "10",
            # gunicorn's control socket would be written under the user's home, outside the
            # data folder; Psynote does not use it.
            "--no-control-socket"]
    # exec: gunicorn takes over this process, so signals from the operator reach it directly.
    os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell
    return 0  # pragma: no cover - execv does not return



def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["psynote manage", *args.django_args])
    return 0
