"""`python -m bench --api`: the peer client (bench/peer.py) against a real Psynote server.

A fresh installation (SQLite in the bench folder, or a database of its own on the
PostgreSQL server `--database-url` names), one fictional clinician with a client and an
API token, `psynote serve --workers 1` (gunicorn, production settings), then the
create + sign and open sequence, each step's median and p95 beside the bare primitive
measured in the same run: an insert+commit of the same ~2 KB on the same engine.

The targets compare with GNU Health 5.0 measured on the same machine (issue 9 of this
project's tracker): creating a clinical evaluation over its API took 25 ms and reading one
7 ms. They are constants here: GNU Health is not installed by this benchmark
(docs/benchmarks.md says how to measure it with the same client).
"""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import peer
from bench.load import Installation
from bench.web import REPO, Browser, free_port

GNU_HEALTH_CREATE_MS = 25.0  # create of a clinical evaluation, issue 9's measurement
GNU_HEALTH_READ_MS = 7.0  # read of one, same measurement
WRITE_TARGET_MS = GNU_HEALTH_CREATE_MS / 4  # per step: a quarter of GNU Health's create
OPEN_TARGET_MS = GNU_HEALTH_READ_MS / 2
PAYLOAD = os.urandom(1_100).hex()[:2_000].encode()  # ~ a note's sealed bytes + its event


def _start(installation: Installation, log_file: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log_file.open("ab") as log:
        server = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            [sys.executable, "-m", "psynote.cli", "serve", "--workers", "1",
             "--bind", f"127.0.0.1:{port}"], cwd=REPO, env=installation.env,
            stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited; see {log_file}")
        try:
            if Browser(port).request("GET", "/login/")[0] == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"the server did not answer within 60 s; see {log_file}")


def _worker_cpu(master: int) -> Any:
    """Seconds of CPU the server's worker(s) used so far (the master only supervises)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children")

    def meter() -> float:
        total = 0
        for pid in children.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / tick

    return meter


def bare_insert(database_url: str, home: Path, n: int) -> list[float]:
    """Insert ~2 KB and commit, n times, on the engine under test with Psynote's settings."""
    clock, samples = time.perf_counter, []
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as db:
            db.execute("CREATE TEMP TABLE bare (id uuid PRIMARY KEY, body bytea NOT NULL)")
            db.commit()
            for _ in range(n):
                started = clock()
                db.execute("INSERT INTO bare VALUES (%s, %s)", (uuid.uuid4(), PAYLOAD))
                db.commit()
                samples.append(clock() - started)
        return samples
    scratch = home / "bare.sqlite3"
    db = sqlite3.connect(scratch, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # as psynote.settings
        db.execute("CREATE TABLE IF NOT EXISTS bare (id TEXT PRIMARY KEY, body BLOB)")
        for _ in range(n):
            started = clock()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO bare VALUES (?, ?)", (uuid.uuid4().hex, PAYLOAD))
            db.execute("COMMIT")
            samples.append(clock() - started)
    finally:
        db.close()
    return samples


def main(home: Path, database_url: str, n: int, sequences: list[str]) -> int:
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    installation = Installation(home, database_url)
    try:
        account = installation.prepare(1)[0]
        server, port = _start(installation, home / "serve.log")
        try:
            return _measure(installation, server, port, account, n, sequences, home)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if database_url:
            installation.remove()


def _measure(installation: Installation, server: subprocess.Popen[bytes], port: int,
             account: dict[str, Any], n: int, sequences: list[str], home: Path) -> int:
    engine = "PostgreSQL" if installation.database_url else "SQLite"
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {account['token']}"}
    variables = {"client": account["client_id"], "diagnosis": account["diagnosis"]}
    meter = _worker_cpu(server.pid)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"API sequence over HTTP: {engine}, psynote serve --workers 1, {n} timed "
          f"sequences each; load average before {load_before}")
    missed = 0
    for name in sequences:
        cpu: dict[str, list[float]] = {}
        try:
            timings = peer.run(base, headers, peer.SEQUENCES[name], variables, n,
                               meter=meter, cpu=cpu)
        except peer.StepFailed as failed:
            print(f"\nsequence {name!r} FAILED: {failed}")
            missed += 1
            continue
        figures = peer.summary(timings)
        print(f"\nsequence {name!r}:")
        print(peer.report(figures))
        for step, values in cpu.items():
            figures[step]["server_cpu_ms"] = sum(values) / len(values) * 1000
        print("  server CPU per call (mean, worker user+system): " + ", ".join(
            f"{step} {f['server_cpu_ms']:.1f} ms" for step, f in figures.items()
            if "server_cpu_ms" in f))
        for step, f in figures.items():
            if step.startswith("writes"):
                continue
            target = OPEN_TARGET_MS if step.startswith("open") else WRITE_TARGET_MS
            ok = f["median_ms"] <= target
            missed += not ok
            print(f"  {step:<28} median {f['median_ms']:.2f} ms vs target {target:.2f} ms: "
                  f"{'PASS' if ok else 'FAIL'}")
    bare = peer.summary({"bare insert+commit": bare_insert(installation.database_url
                                                            and installation.env["DATABASE_URL"],
                                                            home, max(n, 50))})
    print(f"\nbare primitive, same run ({engine}, ~2 KB insert + commit):")
    print(peer.report({k: v for k, v in bare.items() if not k.startswith("writes")}))
    print(f"targets: each write step ≤ {WRITE_TARGET_MS:.2f} ms (¼ of GNU Health 5.0's "
          f"{GNU_HEALTH_CREATE_MS:g} ms create), open ≤ {OPEN_TARGET_MS:.2f} ms (½ of its "
          f"{GNU_HEALTH_READ_MS:g} ms read); GNU Health figures are constants from issue 9's "
          "measurement on this machine, not measured here")
    print(f"{missed} target(s) missed; load average after "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0  # the benchmark reports; it never fails on a missed target
