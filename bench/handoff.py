"""The hand-off (transfer of care) summary, GET /clients/<id>/handoff/ (issue 11), for the
client with the long measure history, through gunicorn, logged in as their clinician;
beside the bare SQL fetching the rows it decrypts and summarises (the client's signed
notes and administrations), in the same run."""

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


def bare_rows(client_id: uuid.UUID, times: int) -> tuple[Latency, int]:
    """SELECT * of the client's signed notes and of their administrations, one after the
    other per sample: what the summary reads before it decrypts anything."""
    from psynote.measures.models import Administration
    from psynote.notes.models import ProgressNote

    sqlite = connection.vendor == "sqlite"
    mark = "?" if sqlite else "%s"
    statements = (
        f"SELECT * FROM {ProgressNote._meta.db_table} WHERE client_id = {mark} "  # noqa: S608
        "AND signed_at IS NOT NULL",
        f"SELECT * FROM {Administration._meta.db_table} WHERE client_id = {mark} "  # noqa: S608
        "ORDER BY administered_at, created_at",
    )
    params = (client_id.hex if sqlite else client_id,)
    connection.ensure_connection()
    cur = connection.connection.cursor()
    rows = 0

    def run(_: object) -> None:
        nonlocal rows
        rows = 0
        for sql in statements:
            cur.execute(sql, params)
            rows += len(cur.fetchall())

    try:
        return Latency.of(measure.timed_each(range(times), run)), rows
    finally:
        cur.close()


def run_handoff(meta: dict[str, Any], env: dict[str, str], home: Path, requests: int,
                log: Any) -> dict[str, Any]:
    facts = meta.get("measures")
    if not facts:
        return {}
    clinician = User.objects.get(username=facts["large_caseload_clinician"])
    client_id = uuid.UUID(facts["long_history_client"])
    url = reverse("handoff_summary", args=[client_id])
    count = max(20, requests // 3)
    connection.close()
    log(f"Timing {count} GETs of the hand-off summary ...")
    failures = []
    with web.Server(env, home / "gunicorn.log") as server:
        browser = web.Browser(server.port)
        browser.login(clinician.username, PASSWORD)

        def fetch(_: object) -> None:
            status, _headers, body = browser.request("GET", url)
            if status != 200 or b"Recent assessments and plans" not in body:
                failures.append(f"GET {url}: status {status}")

        for _ in range(WARM_UP):
            fetch(None)
        cpu = server.cpu_seconds()
        samples = measure.timed_each(range(count), fetch)
        cpu = server.cpu_seconds() - cpu
    bare, rows = bare_rows(client_id, count)
    return {
        "latency": asdict(Latency.of(samples)),
        "bare": asdict(bare),
        "rows": rows,
        "server_cpu_ms": cpu * 1000 / count,
        "failures": len(failures),
    }
