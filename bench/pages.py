"""The measures pages timed through gunicorn, each beside the raw SQL of its rows, measured
in the same run: the client's measures page (two trend charts over 200 administrations)
and the caseload outcome view (150 clients), with their targets (issue 9)."""

import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.db import connection
from django.urls import reverse

from bench import measure, web
from bench.generate import PASSWORD
from bench.measure import Latency
from psynote.accounts.models import User

WARM_UP = 10
CLIENT_P95_MS = 30.0
CASELOAD_P95_MS = 40.0


def run_measures(
    meta: dict[str, Any],
    env: dict[str, str],
    home: Path,
    requests: int,
    seed: int,  # unused: the pages and their rows are fixed by the generated practice
    results: Any,
    log: Any,
) -> None:
    """The client's measures page (trend charts) for the client with the long history and
    the caseload outcome view of the clinician with the large caseload, through gunicorn,
    logged in as that clinician; each beside the raw SQL fetching the same rows."""
    facts = meta.get("measures")
    if not facts:
        results.notes.append("measures pages not measured: the practice has no administrations")
        return
    clinician = User.objects.get(username=facts["large_caseload_clinician"])
    client_id = uuid.UUID(facts["long_history_client"])
    client_url = reverse("measures_client", args=[client_id])
    caseload_url = reverse("measures_caseload")
    count = max(20, requests // 3)
    connection.close()
    log(
        f"Timing {count} GETs each of the measures page ({facts['long_history_administrations']}"
        f" administrations) and the caseload outcome view ({facts['large_caseload_clients']}"
        " clients) ..."
    )
    failures: list[str] = []
    def check(url: str, body: bytes) -> str:
        too_few = url == client_url and body.count(b"<svg") < 2
        return "fewer than two trend charts" if too_few else ""

    (client_samples, client_cpu), (caseload_samples, caseload_cpu) = web.time_gets(
        env, home / "gunicorn.log", clinician.username, PASSWORD, [client_url, caseload_url],
        count, failures, warm_up=WARM_UP, check=check)
    results.notes.extend(failures[:10])

    log("Timing the bare queries for the same rows ...")
    bare_client = measure.bare_history(client_id, count)
    bare_caseload = measure.bare_caseload(clinician.pk, count)
    results.measures_client = {
        "latency": asdict(Latency.of(client_samples)),
        "bare": asdict(bare_client[0]),
        "rows": bare_client[1],
        "server_cpu_ms": client_cpu * 1000 / count,
        "failures": sum(1 for f in failures if client_url in f),
    }
    results.measures_caseload = {
        "latency": asdict(Latency.of(caseload_samples)),
        "bare": asdict(bare_caseload[0]),
        "rows": bare_caseload[1],
        "clients": facts["large_caseload_clients"],
        "server_cpu_ms": caseload_cpu * 1000 / count,
        "failures": sum(1 for f in failures if caseload_url in f),
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def page_row(label: str, figures: dict[str, Any], backend: str, what: str,
             target: float | None = None) -> str:
    """One timed page's report row: its latency and server CPU beside the bare query's,
    the ratio, and the verdict against `target` (p95 ms) when it has one."""
    goal = f"p95 ≤ {target:.0f} ms" if target is not None else "—"
    if not figures:
        return f"| {label} | not measured | | | {goal} |"
    ours, bare = figures["latency"], figures["bare"]
    size = (f"{figures['clients']} clients, " if "clients" in figures else ""
            ) + f"{figures['rows']:,} rows"
    verdict = f"{goal}: {_verdict(ours['p95_ms'] <= target)}" if target is not None else goal
    return (f"| {label}, {size}, n={ours['n']} | median {ours['median_ms']:.1f} ms, p95 "
            f"{ours['p95_ms']:.1f} ms (server CPU {figures['server_cpu_ms']:.1f} ms/request) "
            f"| {backend} {what}: median {bare['median_ms']:.3f} ms, p95 "
            f"{bare['p95_ms']:.3f} ms | ×{ours['p95_ms'] / bare['p95_ms']:,.1f} (p95) | "
            f"{verdict} |")


def report_lines(client: dict[str, Any], caseload: dict[str, Any], backend: str) -> list[str]:
    lines = []
    for label, figures, what, target in (
        (
            "client's measures page with trend charts (GET /clients/<id>/measures/)",
            client,
            "select of the client's administrations",
            CLIENT_P95_MS,
        ),
        (
            "caseload outcome view (GET /caseload/outcomes/)",
            caseload,
            "select of the latest two scores per client and measure (window function)",
            CASELOAD_P95_MS,
        ),
    ):
        lines.append(page_row(label, figures, backend, what, target))
    return lines
