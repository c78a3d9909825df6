"""Bulk export benchmark: `psynote.exchange.fhir.bulk.practice_bulk` on generated
practices of two sizes, each measured in its own fresh interpreter.

    python -m bench --bulk                      # 1,000 and 5,000 clients
    python -m bench --bulk --bulk-clients 500,1000 --bulk-tracemalloc

Each size gets its own folder `.bench/bulk-<backend>-clients<N>/` with a practice made by
`bench.generate.Generator` in the full practice's proportions (one clinician per 100
clients, 20 signed notes per client). The audit chain holds only the events the record
needs (no view filler): the export does not read the audit log beyond its head.

Why a subprocess per size: `ru_maxrss` is a high-water mark for the whole process, so
only a fresh interpreter per size shows whether peak memory grows with the practice.
`--bulk-tracemalloc` also records Python's own allocation peak (tracemalloc slows the
export, so resources per second are then lower than without it).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SIZES = (1000, 5000)
NOTES_PER_CLIENT = 20
CLIENTS_PER_CLINICIAN = 100


def _scale(clients: int) -> Any:
    from bench.generate import Scale

    # events=0: only the anchor events the record needs (the filler is for `verify`).
    return Scale(
        clinicians=max(2, clients // CLIENTS_PER_CLINICIAN),
        clients=clients,
        notes=clients * NOTES_PER_CLIENT,
        events=0,
    )


def _prepare(home: Path, clients: int, log: Any) -> dict[str, Any]:
    """The working SQLite database holds a generated practice of `clients` clients."""
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import Generator

    scale = _scale(clients)
    meta_path, pristine = home / "generated.json", home / "generated.sqlite3"
    working = Path(connection.settings_dict["NAME"])
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if connection.vendor == "sqlite":
        if meta and meta.get("scale") == asdict(scale) and pristine.exists():
            connection.close()
            shutil.copyfile(pristine, working)
            call_command("migrate", verbosity=0)  # a practice generated before newer apps
            return meta
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{working}{suffix}").unlink(missing_ok=True)
    elif meta and meta.get("scale") == asdict(scale):
        call_command("migrate", verbosity=0)
        return meta
    log(f"  generating {clients:,} clients, {scale.notes:,} signed notes ...")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    result = Generator(scale, log=lambda *_: None).run()
    meta = {
        "scale": asdict(scale),
        "practice_id": result["practice_id"],
        "generation_seconds": round(time.perf_counter() - t0, 1),
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(working, pristine)
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def prepare_one(clients: int, home: Path) -> None:
    """Run in a child of its own: generating inflates ru_maxrss, so it never shares a
    process with the measurement."""
    import django

    django.setup()
    from psynote.lib import crypto

    crypto.create_master_key_file()
    _prepare(home, clients, lambda *a: print(*a, file=sys.stderr))


def measure_one(clients: int, home: Path, *, trace: bool) -> dict[str, Any]:
    """Run in the child: take the prepared practice, export it once, return the figures."""
    import django

    django.setup()
    import tracemalloc

    from django.db import reset_queries

    from psynote.accounts.models import Practice
    from psynote.exchange.fhir.bulk import practice_bulk
    from psynote.lib import crypto

    crypto.create_master_key_file()
    meta = _prepare(home, clients, lambda *a: print(*a, file=sys.stderr))
    practice = Practice.objects.get(pk=meta["practice_id"])
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset_queries()
    with tempfile.TemporaryDirectory(prefix="psynote-bulk-") as out:
        if trace:
            tracemalloc.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        manifest = practice_bulk(practice, out)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        written = sum(f.stat().st_size for f in Path(out).iterdir())
    resources = sum(entry["count"] for entry in manifest["output"])
    return {
        "clients": clients,
        "notes": meta["scale"]["notes"],
        "resources": resources,
        "by_type": {entry["type"]: entry["count"] for entry in manifest["output"]},
        "seconds": round(seconds, 2),
        "resources_per_second": round(resources / seconds),
        # Less sensitive than wall time to other work on a shared machine.
        "cpu_seconds": round(cpu, 2),
        "resources_per_cpu_second": round(resources / cpu),
        "output_mib": round(written / 2**20, 1),
        "maxrss_before_mib": round(baseline_rss / 1024, 1),
        "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracemalloc_peak_mib": round(traced_peak / 2**20, 1) if traced_peak else None,
    }


def _child_env(home: Path) -> dict[str, str]:
    from bench.__main__ import _CLEARED

    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update({"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings"})
    return env


def run(sizes: list[int], base: Path, *, trace: bool, log: Any = print) -> list[dict[str, Any]]:
    """Each size in its own interpreter; returns and prints the figures."""
    rows = []
    for clients in sizes:
        home = (base / f"bulk-sqlite-clients{clients}").resolve()
        home.mkdir(parents=True, exist_ok=True)
        log(f"Bulk export of {clients:,} clients ...")
        command = [
            sys.executable,
            "-m",
            "bench.bulk",
            "--clients",
            str(clients),
            "--home",
            str(home),
        ]
        subprocess.run([*command, "--prepare-only"], cwd=REPO, env=_child_env(home), check=True)  # noqa: S603
        command += ["--tracemalloc"] if trace else []
        done = subprocess.run(  # noqa: S603
            command, cwd=REPO, env=_child_env(home), check=True, stdout=subprocess.PIPE, text=True
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    log(report(rows, trace))
    (base / f"bulk-results-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(rows, indent=2)
    )
    return rows


def report(rows: list[dict[str, Any]], trace: bool) -> str:
    lines = [
        "",
        "Bulk export (practice_bulk, NDJSON + side file, SQLite)",
        f"{'clients':>8} {'notes':>8} {'resources':>10} {'seconds':>8} {'res/s':>7} "
        f"{'res/CPU-s':>10} "
        f"{'maxRSS MiB':>11}" + (f" {'traced peak MiB':>16}" if trace else ""),
    ]
    for r in rows:
        lines.append(
            f"{r['clients']:>8,} {r['notes']:>8,} {r['resources']:>10,} {r['seconds']:>8.1f} "
            f"{r['resources_per_second']:>7,} {r['resources_per_cpu_second']:>10,} "
            f"{r['maxrss_mib']:>11.1f}" + (f" {r['tracemalloc_peak_mib']:>16.1f}" if trace else "")
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = last["clients"] / first["clients"]
        lines.append(
            f"{growth:g}x the clients: maxRSS x{last['maxrss_mib'] / first['maxrss_mib']:.2f}"
            + (
                f", traced peak x{last['tracemalloc_peak_mib'] / first['tracemalloc_peak_mib']:.2f}"
                if trace
                else ""
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args(argv)
    if args.prepare_only:
        prepare_one(args.clients, args.home)
        return 0
    row = measure_one(args.clients, args.home, trace=args.tracemalloc)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
