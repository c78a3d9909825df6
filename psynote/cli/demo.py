"""`psynote demo`: load the fictional demo practices (`psynote.demo`)."""

import argparse
import time

from psynote.cli.base import Refused, say


def cmd_demo(args: argparse.Namespace) -> int:
    from psynote import demo
    from psynote.accounts.models import Practice, User
    from psynote.clients.models import Client

    users, clients = User.objects.count(), Client.objects.count()
    names = (demo.PRACTICE_NAME, demo.SECOND_PRACTICE_NAME)
    other = Practice.objects.exclude(name__in=names).order_by("pk").first()
    if other is None and Practice.objects.filter(name=demo.PRACTICE_NAME).exists():
        if not Practice.objects.filter(name=demo.SECOND_PRACTICE_NAME).exists():
            demo.load_second()  # a demo loaded before the second practice came
        say("The demo practices are loaded already.")
        _logins()
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
    second = demo.load_second()
    say(f"Loaded the fictional demo practices in {time.perf_counter() - started:.1f} s: "
        f"{summary.practice.name}")
    say(f"  {summary.clients} clients, {summary.sessions} sessions, "
        f"{summary.signed_notes} signed notes, {summary.drafts} drafts, "
        f"{summary.audit_events} audit events;")
    say(f"and {second.practice.name}: {second.clients} clients, "
        f"{second.signed_notes} signed notes. Neither practice sees the other's records.")
    say()
    _logins()
    return 0


def _logins() -> None:
    from psynote import demo

    say(demo.logins_table())
    say()
    say(demo.second_logins_table())
