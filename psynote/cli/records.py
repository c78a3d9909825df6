"""`psynote verify` and `retention`: check the record's integrity, list what may go."""

import argparse
import time
from typing import TYPE_CHECKING

from psynote.cli.base import Refused, say, select_practice
from psynote.cli.installation import check_master_key_opens_data
from psynote.lib import replica
from psynote.lib.replica import replica_reads

if TYPE_CHECKING:
    from psynote.audit.verify import AuditCheck


def cmd_verify(args: argparse.Namespace) -> int:
    from psynote.accounts.models import Practice
    from psynote.exchange.integrity import disclosure_problems
    from psynote.notes.integrity import destroyed_records, signed_records_problems
    from psynote.notes.models import Addendum, ProgressNote

    check_master_key_opens_data()
    first_break = ""
    for practice in Practice.objects.order_by("pk"):
        say(f"{practice.name} (practice {practice.pk})")
        started = time.perf_counter()
        check = _check_chain(practice.pk)
        report = check.report
        seconds = max(time.perf_counter() - started, 1e-9)
        say(f"  audit chain: {report.events:,} events checked in {seconds:.2f} s "
            f"({report.events / seconds:,.0f} events/s)")
        say(f"  head hash: {report.head.hex() if report.events else '(empty chain)'}")
        for line in check.anchor_lines():
            say(f"  {line}")
        if check.problems:
            first_break = first_break or check.problems[0]
            say(f"  BROKEN: {check.problems[0]}")
            continue
        with replica_reads():  # records signed since the replica's last replay wait a run
            notes = ProgressNote.objects.signed().filter(client__practice=practice).count()
            addenda = Addendum.objects.filter(note__client__practice=practice).count()
            started = time.perf_counter()
            problem = next(signed_records_problems(practice.pk), None)
        if problem is not None and replica.configured():  # confirmed on the primary
            problem = next(signed_records_problems(practice.pk), None)
        say(f"  signed records: {notes:,} progress notes and {addenda:,} addenda checked "
            f"in {time.perf_counter() - started:.2f} s")
        problem = problem or next(disclosure_problems(practice.pk), None)
        if problem is not None:
            first_break = first_break or str(problem)
            say(f"  BROKEN: {problem}")
        for line in destroyed_records(practice.pk):
            say(f"  {line}")
    installation_break = _verify_installation_chain()
    first_break = first_break or installation_break
    if first_break:
        say(f"BROKEN: {first_break}")
        return 1
    say("OK: every audit chain and every signed record is intact.")
    return 0


def _check_chain(practice_id: int) -> "AuditCheck":
    """The chain, its checkpoints, a new checkpoint: read on a replica when one is set up.
    An asynchronous replica may not hold yet the newest events a checkpoint anchored, so a
    break it shows is reported only once the primary shows it too."""
    from psynote.audit.verify import check_practice

    with replica_reads():
        check = check_practice(practice_id)
    if check.problems and replica.configured():
        check = check_practice(practice_id)
    return check


def _verify_installation_chain() -> str:
    """The installation's own chain (what operators did, ADR 0017), when there is one:
    its first problem, or ""."""
    from psynote.audit.log import INSTALLATION_CHAIN
    from psynote.audit.models import ChainHead

    if not ChainHead.objects.filter(practice_id=INSTALLATION_CHAIN).exists():
        return ""
    check = _check_chain(INSTALLATION_CHAIN)
    say(f"Installation (operators' chain): {check.report.events:,} events checked")
    for line in check.anchor_lines():
        say(f"  {line}")
    if check.problems:
        say(f"  BROKEN: {check.problems[0]}")
        return check.problems[0]
    return ""


def cmd_retention(args: argparse.Namespace) -> int:
    from datetime import date

    from django.utils import timezone

    from psynote.records.retention import retention_due

    practice = select_practice(args.practice)
    try:
        today = date.fromisoformat(args.on) if args.on else timezone.localdate()
    except ValueError:
        raise Refused(f"--on {args.on!r} is not a date (YYYY-MM-DD).") from None
    due = retention_due(practice, today)
    say(f"{practice.name}: {len(due)} record(s) due for destruction on {today:%Y-%m-%d}")
    for entry in due:
        client = entry.client
        hold = "  LEGAL HOLD: keep" if entry.on_hold else ""
        say(f"  {client.last_name}, {client.first_name} (born {client.date_of_birth:%Y-%m-%d})"
            f"  last service {entry.last_service:%Y-%m-%d}"
            f"  may be destroyed from {entry.destroy_after:%Y-%m-%d}  [{client.pk}]{hold}")
    return 0
