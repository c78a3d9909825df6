"""`--profile`: where the time goes, measured in-process with cProfile.

The views run through Django's test client (the same middleware, views and templates as
under gunicorn, minus the socket and the WSGI server), so the profile shows Psynote's own
code. Profiles are saved beside the results for `python -m pstats` or snakeviz.
"""

import cProfile
import io
import pstats
import random
from collections.abc import Callable
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
