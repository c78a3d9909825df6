"""`psynote reindex`: rebuild the blind search index from the notes (ADR 0016)."""

import argparse
import time

from psynote.cli.base import say, select_practice
from psynote.cli.installation import check_master_key_opens_data


def cmd_reindex(args: argparse.Namespace) -> int:
    from psynote.lib import crypto
    from psynote.search.index import rebuild

    check_master_key_opens_data()
    practice = select_practice(args.practice) if args.practice else None
    started = time.perf_counter()
    with crypto.keys_cached():
        notes, entries = rebuild(practice.pk if practice else None, say)
    say(f"Search index rebuilt: {notes:,} progress notes, {entries:,} entries, "
        f"{time.perf_counter() - started:.1f} s.")
    return 0
