"""`psynote demo`: load the fictional demo practice (`psynote.demo`)."""

import argparse
import time

from psynote.cli.base import Refused, say


def cmd_demo(args: argparse.Namespace) -> int:
    from psynote import demo
    from psynote.accounts.models import Practice, User
    from psynote.clients.models import Client

    users, clients = User.objects.count(), Client.objects.count()
    other = Practice.objects.exclude(name=demo.PRACTICE_NAME).order_by("pk").first()
    if other is None and Practice.objects.filter(name=demo.PRACTICE_NAME).exists():
        say("The demo practice is loaded already.")
        say(demo.logins_table())
        return 0
    if other is not None or users or clients:
        # Demo users share a published password: never beside a real practice's users.
        holds = (f"the practice {other.name!r}" if other is not None
                 else f"{users} user(s) and {clients} client(s)")
        message = (f"This installation holds {holds}; the fictional demo (whose users share a "
                   "published password) is only loaded into an empty installation: use "
                   "another PSYNOTE_HOME to try it.")
        if args.if_empty:
            say(message + " Nothing to do.")
            return 0
        raise Refused(message, status=1)
    started = time.perf_counter()
    summary = demo.load()
    say(f"Loaded the fictional demo practice in {time.perf_counter() - started:.1f} s: "
        f"{summary.practice.name}")
    say(f"  {summary.clients} clients, {summary.sessions} sessions, "
        f"{summary.signed_notes} signed notes, {summary.drafts} drafts, "
        f"{summary.audit_events} audit events.")
    say()
    say(demo.logins_table())
    return 0
