"""The clinician's day at the generated practice's scale: the dashboard (GET /today/) and
the calendar week (GET /calendar/?date=...) of the clinician with the large caseload,
through gunicorn, each beside a bare query of the same rows."""

from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench import measure, web
from bench.generate import PASSWORD
from bench.measure import Latency
from psynote.accounts.models import User

WARM_UP = 10


def _param(day: date) -> object:
    return day.isoformat() if connection.vendor == "sqlite" else day


def bare_week(clinician_id: int, first: date, times: int) -> tuple[Latency, int]:
    """The clinician's sessions of one week with their clients: the calendar's rows."""
    from psynote.clients.models import Client
    from psynote.visits.models import Session

    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = (
        f"SELECT s.*, c.* FROM {Session._meta.db_table} s "  # noqa: S608 - our names
        f"JOIN {Client._meta.db_table} c ON c.id = s.client_id "
        f"WHERE s.clinician_id = {mark} AND s.date BETWEEN {mark} AND {mark} "
        "ORDER BY s.date, s.start_time"
    )
    params = (clinician_id, _param(first), _param(first + timedelta(days=6)))
    return measure._timed_query(sql, params, times)


def bare_day(clinician_id: int, today: date, times: int) -> tuple[Latency, int]:
    """The clinician's sessions of the past year to tomorrow with their note's signed
    state: the rows the day's session, note and draft lists are drawn from."""
    from psynote.notes.models import ProgressNote
    from psynote.visits.models import Session

    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = (
        f"SELECT s.id, s.date, s.start_time, s.attendance, n.id, n.signed_at "  # noqa: S608
        f"FROM {Session._meta.db_table} s "
        f"LEFT JOIN {ProgressNote._meta.db_table} n ON n.session_id = s.id "
        f"WHERE s.clinician_id = {mark} AND s.date BETWEEN {mark} AND {mark}"
    )
    params = (clinician_id, _param(today - timedelta(days=366)),
              _param(today + timedelta(days=1)))
    return measure._timed_query(sql, params, times)


def run_day(meta: dict[str, Any], env: dict[str, str], home: Path, requests: int,
            results: dict[str, Any], notes: list[str], log: Any) -> None:
    facts = meta.get("measures") or {}
    try:
        day_url, week_base = reverse("dashboard"), reverse("calendar_week")
    except NoReverseMatch:
        notes.append("day figures not measured: the dashboard or calendar URL is missing")
        return
    from psynote.visits.models import Session

    username = facts.get("large_caseload_clinician")
    clinician = User.objects.filter(username=username).first() if username else None
    if clinician is None:
        clinician = User.objects.filter(sessions__isnull=False).order_by("pk").first()
    if clinician is None:
        notes.append("day figures not measured: the practice has no sessions")
        return
    # The clinician's busiest week: the calendar's worst case.
    weeks = Counter(day - timedelta(days=day.weekday()) for day in
                    Session.objects.filter(clinician=clinician).values_list("date", flat=True))
    first = max(weeks, key=lambda week: (weeks[week], week)) if weeks else \
        timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    week_url = f"{week_base}?date={first.isoformat()}"
    count = max(20, requests // 3)
    connection.close()
    log(f"Timing {count} GETs each of {clinician.username}'s day and the week of {first} ...")
    failures: list[str] = []
    (day_samples, day_cpu), (week_samples, week_cpu) = web.time_gets(
        env, home / "gunicorn.log", clinician.username, PASSWORD, [day_url, week_url], count,
        failures, warm_up=WARM_UP)
    notes.extend(failures[:10])
    log("Timing the bare queries for the same rows ...")
    bare_d = bare_day(clinician.pk, timezone.localdate(), count)
    bare_w = bare_week(clinician.pk, first, count)
    for key, samples, bare, spent in (("dashboard", day_samples, bare_d, day_cpu),
                                      ("calendar_week", week_samples, bare_w, week_cpu)):
        results[key] = {
            "latency": asdict(Latency.of(samples)), "bare": asdict(bare[0]), "rows": bare[1],
            "server_cpu_ms": spent * 1000 / count,
            "failures": sum(1 for f in failures if (day_url if key == "dashboard" else week_url)
                            in f),
        }


LABELS = (
    ("the clinician's day (GET /today/)", "dashboard",
     "select of the clinician's sessions of the past year with their notes' signed state"),
    ("calendar week (GET /calendar/?date=...)", "calendar_week",
     "select of the clinician's sessions of the week joined to their clients"),
)


def report_lines(day: dict[str, Any], backend: str) -> list[str]:
    lines = []
    for label, key, what in LABELS:
        figures = day.get(key)
        if not figures:
            lines.append(f"| {label} | not measured | | | — |")
            continue
        ours, bare = figures["latency"], figures["bare"]
        lines.append(
            f"| {label}, {figures['rows']:,} rows, n={ours['n']} | median "
            f"{ours['median_ms']:.1f} ms, p95 {ours['p95_ms']:.1f} ms (server CPU "
            f"{figures['server_cpu_ms']:.1f} ms/request) | {backend} {what}: median "
            f"{bare['median_ms']:.3f} ms, p95 {bare['p95_ms']:.3f} ms | "
            f"×{ours['p95_ms'] / max(bare['p95_ms'], 1e-6):,.0f} (p95) | — |"
        )
    return lines
