"""`psynote createuser`: add a user from the command line."""

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from psynote.cli.base import Refused, say, select_practice


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


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from psynote.accounts import actions
    from psynote.accounts.models import User
    from psynote.supervision import actions as supervision_actions

    practice = select_practice(args.practice)
    fields: dict[str, Any] = {
        "role": args.role, "first_name": args.first_name, "last_name": args.last_name,
        "email": args.email, "credentials": args.credentials,
        "licence_number": args.licence_number, "licence_state": args.licence_state,
    }
    supervisor = None
    if args.supervisor:
        supervisor = User.objects.filter(practice=practice, username=args.supervisor).first()
        if supervisor is None:
            raise Refused(f"No user {args.supervisor!r} in {practice.name}.", status=1)
    existing = User.objects.filter(username=args.username).first()
    if existing is not None:
        if existing.practice_id == practice.pk and existing.role == args.role:
            # Safe to repeat: the same user exists; its password is left as it is.
            say(f"{existing.username} exists already in {practice.name} as "
                f"{existing.get_role_display().lower()}; nothing to do (password unchanged).")
            return 0
        raise Refused(f"The username {args.username!r} is taken (in {existing.practice} as "
                      f"{existing.get_role_display().lower()}).", status=1)
    password = _new_password(args)
    try:
        with transaction.atomic():
            user = actions.create_user(by=None, practice=practice, username=args.username,
                                       password=password, **fields)
            if supervisor is not None:
                supervision_actions.set_supervision(by=None, supervisor=supervisor,
                                                    supervisee=user)
    except ValidationError as error:
        raise Refused("Not created: " + "; ".join(error.messages), status=1) from None
    say(f"Created {user.get_role_display().lower()} {user.username} in {practice.name}.")
    return 0
