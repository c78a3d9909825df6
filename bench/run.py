"""One benchmark run: verify (bench/verify.py), then open and sign notes through gunicorn,
the measures pages (bench/pages.py) and the rest, each beside its bare primitive, then
the report."""

import json
import os
import platform
import random
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench import bare, handoff, measure, pages, verify, web
from bench import day as day_bench
from bench.generate import CLINICIAN_PREFIX, PASSWORD, Scale
from bench.measure import Latency

# `run_verify` lives in bench/verify.py; bench/__main__.py reaches it through here.
from bench.verify import run_verify  # noqa: F401
from psynote.accounts.models import User
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client
from psynote.notes import actions as note_actions
from psynote.notes.models import ProgressNote
from psynote.plans.queries import active_objectives
from psynote.visits import actions as visit_actions

# Issue 9's targets (docs/benchmarks.md): the earlier 15 and 20 ms were this project's
# first goals, tightened once the note page stopped compiling its access query.
SIGN_P95_MS = 10.0
OPEN_P95_MS = 10.0
WARM_UP = 10


@dataclass
class Results:
    machine: dict[str, str]
    database: dict[str, Any]
    verify: dict[str, Any] = field(default_factory=dict)
    open: dict[str, Any] = field(default_factory=dict)
    sign: dict[str, Any] = field(default_factory=dict)
    measures_client: dict[str, Any] = field(default_factory=dict)
    measures_caseload: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] = field(default_factory=dict)
    day: dict[str, Any] = field(default_factory=dict)  # dashboard and calendar week
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, str]:
    cpu, ram = platform.processor() or "unknown", "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        # Other work on the machine shows up in every figure: say how busy it was.
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    return info


# --- the HTTP stack -------------------------------------------------------------------


def prepare_drafts(clinician: User, count: int, seed: int) -> list[ProgressNote]:
    """Complete drafts through the real actions, on sessions held yesterday (well inside
    the late-entry window, so no reason is needed at signing)."""
    rng = random.Random(seed)
    clients = list(Client.objects.filter(care_team__user=clinician).order_by("pk"))
    day = timezone.localdate() - timedelta(days=1)
    drafts = []
    for i in range(count):
        client = clients[i % len(clients)]
        start = clock(8 + i % 10, 15 * (i // 10 % 4))
        end = (datetime.combine(day, start) + timedelta(minutes=53)).time()
        session = visit_actions.create_session(
            by=clinician,
            client=client,
            clinician=clinician,
            date=day,
            start_time=start,
            end_time=end,
            attendance="attended",
        )
        note = note_actions.start_note(by=clinician, session=session, template="soap")
        codes = [d.code for d in client.diagnoses.all()]
        # The client's signed plan has an open objective: the note rates it, as a
        # clinician's would (a note that addresses none needs a reason at signing).
        ratings = [
            {"objective_key": o.key, "rating": "progressing", "comment": "Three mornings of five."}
            for o in active_objectives(client)[:1]
        ]
        note = note_actions.save_draft(
            by=clinician,
            note=note,
            changes={
                "sections": {
                    "subjective": "Client reports a fictional week; sleep improved. " * 4,
                    "objective": "On time, engaged, affect brighter than last session. " * 2,
                    "assessment": "Progressing toward the activity objective. " * 2,
                    "plan": "Continue weekly; review the activity log next session.",
                },
                "mse": {
                    "appearance": "Casually dressed.",
                    "mood": '"Okay."',
                    "affect": "Euthymic.",
                    "insight": "Good.",
                    "judgment": "Good.",
                },
                "interventions": rng.sample(
                    [
                        "behavioral_activation",
                        "cognitive_restructuring",
                        "homework_review",
                        "psychoeducation",
                    ],
                    2,
                ),
                "diagnosis_codes": codes,
                **({"objectives": ratings} if ratings else {}),
            },
        )
        drafts.append(note)
    return drafts


def _url(name: str, note_id: object) -> str | None:
    try:
        return reverse(name, args=[note_id])
    except (NoReverseMatch, ImportError):  # views not written yet, or mid-way
        return None


def run_http(
    meta: dict[str, Any],
    env: dict[str, str],
    home: Path,
    opens: int,
    signs: int,
    seed: int,
    results: Results,
    log: Any,
) -> None:
    clinician = User.objects.get(username=f"{CLINICIAN_PREFIX}01")
    rng = random.Random(seed)
    probe = uuid.uuid4()
    if _url("note_detail", probe) is None or _url("note_sign", probe) is None:
        missing = [n for n in ("note_detail", "note_sign") if _url(n, probe) is None]
        results.notes.append(
            f"HTTP figures not measured: URL name(s) {', '.join(missing)} "
            "do not resolve (missing from psynote/notes/urls.py, or the URL "
            "configuration does not import)"
        )
        log(results.notes[-1])
        return

    log(f"Preparing {signs + WARM_UP} complete drafts through psynote.notes.actions ...")
    drafts = prepare_drafts(clinician, signs + WARM_UP, seed)
    caseload = list(
        ProgressNote.objects.signed().filter(author=clinician).values_list("pk", flat=True)
    )
    sample = rng.sample(caseload, min(opens + WARM_UP, len(caseload)))
    warm_opens, open_ids = sample[:WARM_UP], sample[WARM_UP:]
    warm_signs, sign_ids = [d.pk for d in drafts[:WARM_UP]], [d.pk for d in drafts[WARM_UP:]]
    connection.close()  # the server's workers get the database to themselves

    log(
        f"Starting gunicorn (2 sync workers) and timing {len(open_ids)} opens, "
        f"{len(sign_ids)} signs ..."
    )
    failures: list[str] = []
    # bare.serving: the same server also serves the bare Django view (bench/bare.py).
    with web.Server(bare.serving(env), home / "gunicorn.log") as server:
        browser = web.Browser(server.port)
        browser.login(clinician.username, PASSWORD)

        def open_note(note_id: uuid.UUID) -> None:
            status, _, _ = browser.request("GET", reverse("note_detail", args=[note_id]))
            if status != 200:
                failures.append(f"GET note {note_id}: status {status}")

        def sign_note(note_id: uuid.UUID) -> None:
            status, headers, _ = browser.post(reverse("note_sign", args=[note_id]))
            if status not in (200, 302, 303):
                failures.append(f"POST sign {note_id}: status {status}")

        for note_id in warm_opens:
            open_note(note_id)
        for note_id in warm_signs:
            sign_note(note_id)
        cpu = [server.cpu_seconds()]
        open_samples = measure.timed_each(open_ids, open_note)
        cpu.append(server.cpu_seconds())
        sign_samples = measure.timed_each(sign_ids, sign_note)
        cpu.append(server.cpu_seconds())
        bare_view = bare.time_bare(server, browser, open_ids, failures)

    signed = ProgressNote.objects.signed().filter(pk__in=sign_ids + warm_signs).count()
    viewed = AuditEvent.objects.filter(
        action="note.view", target_id__in=[str(i) for i in open_ids]
    ).count()
    if signed != len(sign_ids) + len(warm_signs):
        failures.append(
            f"only {signed} of {len(sign_ids) + len(warm_signs)} drafts are signed after the run"
        )
    if viewed < len(open_ids):
        failures.append(f"only {viewed} note.view events for {len(open_ids)} opened notes")
    results.notes.extend(failures[:10])

    log("Timing the bare primitives on the same rows ...")
    table = ProgressNote._meta.db_table
    bare_open = measure.bare_select(table, open_ids)
    pairs = _signed_bytes(sign_ids)
    bare_sign = measure.bare_sqlite_insert(home / "scratch.sqlite3", pairs)
    results.open = {
        "latency": asdict(Latency.of(open_samples)),
        "bare": asdict(bare_open),
        "server_cpu_ms": (cpu[1] - cpu[0]) * 1000 / len(open_ids),
        "failures": sum(1 for f in failures if f.startswith("GET")),
        "per_second": len(open_samples) / sum(open_samples),
        "bare_view": bare_view,
    }
    results.sign = {
        "latency": asdict(Latency.of(sign_samples)),
        "bare": asdict(bare_sign),
        "server_cpu_ms": (cpu[2] - cpu[1]) * 1000 / len(sign_ids),
        "bytes": round(sum(len(a) + len(b) for a, b in pairs) / max(1, len(pairs))),
        "failures": sum(1 for f in failures if f.startswith("POST")),
    }
    if connection.vendor == "postgresql":
        results.sign["bare_postgresql"] = asdict(measure.bare_postgresql_insert(pairs))
    pages.run_measures(meta, env, home, opens, seed, results, log)
    results.handoff = handoff.run_handoff(meta, env, home, opens, log)
    day_bench.run_day(meta, env, home, opens, results.day, results.notes, log)


def _signed_bytes(note_ids: list[uuid.UUID]) -> list[tuple[bytes, bytes]]:
    """Each signed note's row and its `note.sign` event, as the bytes they are stored as."""
    table = ProgressNote._meta.db_table
    placeholders = ", ".join(["%s"] * len(note_ids))
    keys = [n.hex if connection.vendor == "sqlite" else n for n in note_ids]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id IN ({placeholders})", keys)  # noqa: S608
        rows = {str(uuid.UUID(str(row[0]))): row for row in cursor.fetchall()}
    events = {
        e.target_id: e
        for e in AuditEvent.objects.filter(action="note.sign", target_id__in=list(rows))
    }
    pairs = []
    for note_id, row in rows.items():
        note_bytes = b"".join(
            bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row
        )
        event = events.get(note_id)
        if event is None:
            continue
        pairs.append((note_bytes, event.payload.encode() + bytes(event.hash)))
    return pairs


# --- the report -------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: Results, command: str, scale: Scale) -> str:
    m, db = results.machine, results.database
    lines = [
        f"Psynote benchmark, {m['date']}; load average before the run: {m['load_average']}",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']}, "
        f"SQLite {m['sqlite']}" + (f", PostgreSQL {m['postgresql']}" if "postgresql" in m else ""),
        f"Command: {command}",
        f"Database: {db['backend']}; {scale.clinicians} clinicians, {scale.clients:,} clients, "
        f"{scale.notes:,} signed notes, {scale.events:,} audit events; generation "
        f"{db['generation_seconds']:.0f} s" + (" (reused)" if db.get("reused") else ""),
        *(
            [
                f"Measures: {db['measures']['administrations']:,} PHQ-9/GAD-7 administrations "
                f"(one client with {db['measures']['long_history_administrations']}), "
                f"{db['measures']['large_caseload_clients']} clients on "
                f"{db['measures']['large_caseload_clinician']}'s caseload; one signed "
                "treatment plan per client"
            ]
            if db.get("measures")
            else []
        ),
        "",
        "| measure | Psynote | bare primitive (same run) | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, key, target in (
        ("open a note (GET /notes/<id>/)", "open", OPEN_P95_MS),
        ("sign a note (POST /notes/<id>/sign/)", "sign", SIGN_P95_MS),
    ):
        figures = getattr(results, key)
        if not figures:
            lines.append(f"| {label} | not measured | | | p95 ≤ {target:.0f} ms |")
            continue
        ours, primitive = figures["latency"], figures["bare"]
        if key == "open":
            what = f"{db['backend']} select of the same row"
        else:
            what = f"SQLite insert+commit of the same {figures['bytes']:,} B (WAL, NORMAL)"
        lines.append(
            f"| {label}, n={ours['n']} | median {ours['median_ms']:.1f} ms, p95 "
            f"{ours['p95_ms']:.1f} ms (server CPU {figures['server_cpu_ms']:.1f} ms/request) "
            f"| {what}: median {primitive['median_ms']:.3f} ms, p95 "
            f"{primitive['p95_ms']:.3f} ms | ×{ours['p95_ms'] / primitive['p95_ms']:,.0f} (p95) | "
            f"p95 ≤ {target:.0f} ms: {_verdict(ours['p95_ms'] <= target)} |"
        )
        if "bare_postgresql" in figures:
            pg = figures["bare_postgresql"]
            lines.append(
                f"| (same, PostgreSQL primitive) | | psycopg insert+commit: median "
                f"{pg['median_ms']:.3f} ms, p95 {pg['p95_ms']:.3f} ms | "
                f"×{ours['p95_ms'] / pg['p95_ms']:,.0f} (p95) | |"
            )
    lines.extend(
        pages.report_lines(results.measures_client, results.measures_caseload, db["backend"])
    )
    lines.append(pages.page_row("hand-off summary (GET /clients/<id>/handoff/)",
                                results.handoff, db["backend"],
                                "selects of the client's signed notes and administrations"))
    lines.extend(bare.report_lines(results.open))
    lines.extend(day_bench.report_lines(results.day, db["backend"]))
    lines.extend(verify.report_lines(results.verify))
    v = results.verify
    lines.append("")
    lines.append(
        f"Chain breaks and checkpoint problems: {len(v['breaks'])}; signed-record problems: "
        f"{v['problem_count']}."
    )
    lines.append(
        f"Checkpoints the last verify round compared the chain with: "
        f"{v.get('checkpoints_compared', 0)}."
    )
    for warning in v.get("checkpoint_warnings", []):
        lines.append(f"Checkpoint warning: {warning}")
    lines.append(f"Load average after the run: {m.get('load_after', '?')}.")
    for note in results.notes:
        lines.append(f"NOTE: {note}")
    return "\n".join(lines)


def save(results: Results, home: Path) -> Path:
    path = home / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(asdict(results), indent=2, default=str))
    return path
