"""Open and sign latency behind the high-availability pair, beside a single server (ADR 0018).

    scripts/with-ha-postgres .venv/bin/python -m bench --ha

A fresh installation on the pair (bench/load.py), one clinician, two `psynote serve` at once
on the same database: one as configured (every commit waits until the synchronous secondary
has flushed it), one whose connections set `synchronous_commit = local` (a commit waits for
the primary's own disk only: what a single server does). Requests alternate between the two,
so both see the same machine load. Beside them, the bare primitive: one small INSERT and its
COMMIT through psycopg, both ways. The failover figures themselves come from `make test-ha`.
"""

import copy
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from bench import load

LOCAL = "-c synchronous_commit=local"


def _sign_ready_note(api: load.Api, account: dict[str, Any], n: int) -> str:
    note = load.start_draft(api, account["client_id"], date.today() - timedelta(days=1))
    status, body = api.call("PATCH", f"/notes/{note}", {
        "sections": load.SOAP | {"subjective": f"Fictional HA bench note {n}."},
        "diagnosis_codes": [account["diagnosis"]]})
    if status != 200:
        raise load.Refused(f"patch: {status} {body}")
    return note


def _timed(api: load.Api, method: str, path: str, body: Any = None) -> float:
    started = time.perf_counter()
    status, answer = api.call(method, path, body)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise load.Refused(f"{method} {path}: {status} {answer}")
    return elapsed


def _bare_commits(url: str, rounds: int) -> dict[str, list[float]]:
    import psycopg

    times: dict[str, list[float]] = {"pair": [], "single": []}
    with psycopg.connect(url, autocommit=True) as database:
        database.execute("CREATE TABLE IF NOT EXISTS bench_ha_commit (n int)")
        for n in range(rounds):
            for mode, setting in (("pair", "on"), ("single", "local")):
                database.execute(f"SET synchronous_commit = {setting}")
                started = time.perf_counter()
                database.execute("INSERT INTO bench_ha_commit VALUES (%s)", (n,))
                times[mode].append(time.perf_counter() - started)
        database.execute("DROP TABLE bench_ha_commit")
    return times


def _row(name: str, pair: list[float], single: list[float]) -> str:
    p50p, p50s = statistics.median(pair) * 1000, statistics.median(single) * 1000
    p95p = sorted(pair)[int(0.95 * len(pair))] * 1000
    p95s = sorted(single)[int(0.95 * len(single))] * 1000
    return (f"  {name:<28}{p50p:>9.2f}{p95p:>9.2f}{p50s:>11.2f}{p95s:>9.2f}"
            f"{p50p / p50s:>8.2f}×")


def main(samples: int) -> int:
    url = os.environ.get("DATABASE_URL", "")
    if "," not in url.split("/")[2]:
        print("python -m bench --ha runs under scripts/with-ha-postgres (a multi-host "
              "DATABASE_URL)", file=sys.stderr)
        return 2
    home = Path(mkdtemp(prefix="psynote-bench-ha-"))
    installation = load.Installation(home, url)
    account = installation.prepare(1)[0]
    pair = load.Serve(installation)
    as_single = copy.copy(installation)
    as_single.env = dict(installation.env, PGOPTIONS=LOCAL)  # libpq sends it at connect
    single = load.Serve(as_single)
    single.log_file = home / "serve-single.log"
    pair.start()
    single.start()
    times: dict[str, dict[str, list[float]]] = {
        "open": {"pair": [], "single": []}, "sign": {"pair": [], "single": []}}
    try:
        servers = {"pair": pair, "single": single}
        apis = {mode: load.Api(server.port, account["token"]) for mode, server in servers.items()}
        for mode in servers:  # warm each worker's connection and caches
            note = _sign_ready_note(apis[mode], account, 0)
            _timed(apis[mode], "POST", f"/notes/{note}/sign", {})
            _timed(apis[mode], "GET", f"/notes/{note}")
        for n in range(1, samples + 1):
            for mode, api in apis.items():
                note = _sign_ready_note(api, account, n)
                times["sign"][mode].append(_timed(api, "POST", f"/notes/{note}/sign", {}))
                times["open"][mode].append(_timed(api, "GET", f"/notes/{note}"))
    finally:
        pair.stop()
        single.stop()
    bare = _bare_commits(installation.env["DATABASE_URL"], samples * 4)
    installation.remove()
    print(f"Open and sign through `psynote serve`, {samples} of each, alternating; load "
          f"average {' '.join(f'{x:.1f}' for x in os.getloadavg())}:")
    print(f"  {'':<28}{'pair p50':>9}{'p95':>9}{'single p50':>11}{'p95':>9}{'ratio':>9}")
    print(_row("open a note (API GET)", times["open"]["pair"], times["open"]["single"]))
    print(_row("sign a note (API POST)", times["sign"]["pair"], times["sign"]["single"]))
    print(_row("bare INSERT + COMMIT", bare["pair"], bare["single"]))
    print("  (ms; pair: synchronous_commit=on with the synchronous secondary; single: "
          "synchronous_commit=local on the same primary)")
    return 0
