"""`psynote createuser`, `createoperator` and `createpractice`: accounts and practices
from the command line (the operator's side: ADR 0017)."""

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


def cmd_createoperator(args: argparse.Namespace) -> int:
    """An operator of the installation: in no practice, creates practices (ADR 0017)."""
    from django.core.exceptions import ValidationError

    from psynote.accounts import actions
    from psynote.accounts.models import Role, User

    existing = User.objects.filter(username=args.username).first()
    if existing is not None:
        if existing.role == Role.OPERATOR:
            say(f"{existing.username} is an operator already; nothing to do "
                "(password unchanged).")
            return 0
        raise Refused(f"The username {args.username!r} is taken (in {existing.practice} as "
                      f"{existing.get_role_display().lower()}).", status=1)
    password = _new_password(args)
    try:
        user = actions.create_operator(by=None, username=args.username, password=password,
                                       first_name=args.first_name, last_name=args.last_name,
                                       email=args.email)
    except ValidationError as error:
        raise Refused("Not created: " + "; ".join(error.messages), status=1) from None
    say(f"Created operator {user.username}. They sign in with two factors (set up at first "
        "sign-in), create practices and see counts only: no practice's records.")
    return 0


def cmd_createpractice(args: argparse.Namespace) -> int:
    """A new practice with its first admin, who gets a one-time password printed once."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from psynote.exchange import signing
    from psynote.operators import actions

    try:
        made = actions.create_practice(
            by=None, name=args.name, admin_username=args.admin_username or "",
            admin_email=args.admin_email or "", admin_first_name=args.admin_first_name,
            admin_last_name=args.admin_last_name)
    except ValidationError as error:
        raise Refused("Not created: " + "; ".join(error.messages), status=1) from None
    practice, admin = made.practice, made.admin
    assert admin is not None  # noqa: S101 - create_practice makes one by default
    with transaction.atomic():
        key = signing.practice_key(practice)
    say(f"Created practice {practice.name} (practice {practice.pk}) with its own audit chain.")
    say(f"Export signing key: {signing.key_path(practice.pk)} "
        f"(fingerprint {signing.fingerprint(signing.raw_public(key))})")
    say(f"First admin: {admin.username} <{admin.email}>. One-time password (shown only now; "
        "hand it over by another channel than that email):")
    say(f"  {made.password}")
    say("At first sign-in they choose their own password and set up two-factor sign-in.")
    return 0
