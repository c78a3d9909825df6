"""`--profile`: where the time goes, measured in-process with cProfile.

The views run through Django's test client (the same middleware, views and templates as
under gunicorn, minus the socket and the WSGI server), so the profile shows Psynote's own
code. Profiles are saved beside the results for `python -m pstats` or snakeviz.
"""

import cProfile
import functools
import io
import pstats
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.generate import CLINICIAN_PREFIX
from psynote.accounts.models import User
from psynote.audit import chain
from psynote.notes.models import ProgressNote

OPENS = 100
SIGNS = 30
ROUNDS = 5


def _profile(name: str, work: Callable[[], object], home: Path, log: Any) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    path = home / f"profile-{name}.prof"
    profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(18)
    log(f"\n=== {name}: hottest functions by own time (full profile: {path}) ===")
    log("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def _queries(name: str, request: Callable[[], object], log: Any) -> None:
    with CaptureQueriesContext(connection) as captured:
        request()
    log(f"\n=== {name}: {len(captured)} SQL statements in one request ===")
    for query in captured.captured_queries:
        log(f"  {query['time']}s  {' '.join(query['sql'].split())[:150]}")


# --- where the time goes: CPU per request, by part --------------------------------------


@contextmanager
def _timing_parts() -> Iterator[dict[str, float]]:
    """CPU time spent in each named part while inside the block (a part called from within
    itself counts once). Wraps the functions in place and restores them at the end."""
    from django.db.backends import utils as db_utils

    from psynote.audit import log as audit_log
    from psynote.lib import crypto
    from psynote.notes import actions, views
    from psynote.supervision.templatetags import supervision

    parts: dict[str, float] = defaultdict(float)
    active: dict[str, int] = defaultdict(int)
    wrapped: list[tuple[Any, str, Any]] = []
    targets = [
        (views, "get_note_page_for", "fetch the note (access function)"),
        (views, "get_note_for", "fetch the note (access function)"),
        (views, "_detail_context", "page context"),
        (views, "render", "template rendering (incl. panel)"),
        (supervision, "panel_context", "  of which: supervision panel"),
        (audit_log, "record_by", "audit event (incl. commit)"),
        (actions, "sign_note", "sign_note action (incl. its audit event)"),
        (crypto, "open_sealed", "crypto (AES-GCM, key unwrap)"),
        (crypto, "seal", "crypto (AES-GCM, key unwrap)"),
        (crypto, "unwrap", "crypto (AES-GCM, key unwrap)"),
        (db_utils.CursorWrapper, "execute", "  of all: database driver (execute)"),
    ]
    for owner, name, label in targets:
        original = getattr(owner, name, None)
        if original is None:
            continue

        def timed(*args: Any, _f: Any = original, _label: str = label, **kwargs: Any) -> Any:
            if active[_label]:
                return _f(*args, **kwargs)
            active[_label] += 1
            started = time.process_time()
            try:
                return _f(*args, **kwargs)
            finally:
                parts[_label] += time.process_time() - started
                active[_label] -= 1

        setattr(owner, name, functools.wraps(original)(timed))
        wrapped.append((owner, name, original))
    try:
        yield parts
    finally:
        for owner, name, original in wrapped:
            setattr(owner, name, original)


def _where(name: str, request: Callable[[Any], object], items: list[Any], rounds: int,
           log: Any) -> None:
    best: tuple[float, dict[str, float]] | None = None
    for r in range(rounds):
        chunk = items[r::rounds] if rounds > 1 else items
        with _timing_parts() as parts:
            started = time.process_time()
            for item in chunk:
                request(item)
            total = (time.process_time() - started) * 1000 / len(chunk)
        per = {k: v * 1000 / len(chunk) for k, v in parts.items()}
        if best is None or total < best[0]:
            best = (total, per)
    assert best is not None
    total, per = best
    log(f"\n=== {name}: {total:.2f} ms CPU per request, best of {rounds} ===")
    outer = {k: v for k, v in per.items() if not k.startswith(("  ", "crypto"))}
    if any(k.startswith("sign_note") for k in outer):  # its audit event is inside it
        outer = {k: v for k, v in outer.items() if not k.startswith("audit")}
    for label, ms in sorted(per.items()):
        log(f"  {label:48s} {ms:6.2f} ms")
    log(f"  {'rest: middleware, session, user, URLs, response':48s} "
        f"{total - sum(outer.values()):6.2f} ms")


def where_the_time_goes(open_ids: list[Any], drafts: list[Any], log: Any) -> None:
    """Per request CPU by part for opening and signing a note, and the bare Django view
    (bench/bare.py) measured the same way in the same run."""
    from django.test import override_settings

    from bench import bare
    from bench.generate import CLINICIAN_PREFIX

    clinician = User.objects.get(username=f"{CLINICIAN_PREFIX}01")
    browser = TestClient(SERVER_NAME="127.0.0.1")
    browser.force_login(clinician)
    opens = (open_ids * (1 + 100 // max(1, len(open_ids))))[:100]
    with override_settings(ROOT_URLCONF="bench.bare"):
        browser.get(f"{bare.PREFIX}{opens[0]}/")
        _where("open (in-process)", lambda i: browser.get(reverse("note_detail", args=[i])),
               opens, ROUNDS, log)
        _where("sign (in-process)", lambda d: browser.post(reverse("note_sign", args=[d.pk])),
               drafts, 1, log)
        _where("bare Django view (in-process)",
               lambda i: browser.get(f"{bare.PREFIX}{i}/"), opens, ROUNDS, log)


def profile_all(practice_id: int, home: Path, seed: int, log: Any) -> None:
    from bench.run import prepare_drafts

    clinician = User.objects.get(username=f"{CLINICIAN_PREFIX}01")
    rng = random.Random(seed + 1)
    caseload = list(
        ProgressNote.objects.signed().filter(author=clinician).values_list("pk", flat=True)
    )
    open_ids = rng.sample(caseload, min(OPENS, len(caseload)))
    drafts = prepare_drafts(clinician, SIGNS + 2, seed + 1)
    browser = TestClient(SERVER_NAME="127.0.0.1")
    browser.force_login(clinician)
    browser.get(reverse("note_detail", args=[open_ids[0]]))  # warm: imports, templates
    browser.post(reverse("note_sign", args=[drafts[0].pk]))

    def opens() -> None:
        for note_id in open_ids:
            browser.get(reverse("note_detail", args=[note_id]))

    def signs() -> None:
        for draft in drafts[2:]:
            browser.post(reverse("note_sign", args=[draft.pk]))

    _queries("open", lambda: browser.get(reverse("note_detail", args=[open_ids[1]])), log)
    _queries("sign", lambda: browser.post(reverse("note_sign", args=[drafts[1].pk])), log)
    _profile("open", opens, home, log)
    _profile("sign", signs, home, log)
    _profile("verify", lambda: chain.verify_practice(practice_id), home, log)
    where_the_time_goes(open_ids, prepare_drafts(clinician, SIGNS, seed + 2), log)
