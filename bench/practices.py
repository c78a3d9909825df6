"""`python -m bench --practices --database-url postgresql://...`: several practices at once.

Throughput of note create+sign (a session, a draft, its signature: the web's four
transactions, each with its audit event) from W worker processes, all in ONE practice, then
spread over TEN practices. Each practice has its own audit chain, whose head row every
event locks (psynote/audit/log.py): writers of one practice queue there, writers of
different practices do not. Beside it, in the same run, the bare ceiling: W processes doing
nothing but INSERT + COMMIT of a row the size of a stored signed note, with psycopg.

The database must be empty (it is migrated here) or one this benchmark prepared. Use a
PostgreSQL with its production durability (fsync and synchronous_commit on): the commit
rate is the figure. Prints one table; docs/benchmarks.md#several-practices-at-once.
"""

import multiprocessing
import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

PRACTICES = 10
NAME = "Bench Practice {:02d} (fictional)"
BARE_TABLE = "bench_bare_commit"


@dataclass
class Figure:
    label: str
    workers: int
    ops: int = 0
    seconds: float = 0.0
    commits: int = 0
    cpu: float = 0.0  # the workers' own CPU seconds (Python, psycopg), not the server's
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _prepare(max_workers: int) -> list[list[tuple[int, Any]]]:
    """Ten practices; per practice, the (clinician, client) pairs the workers write with."""
    from django.core.management import call_command

    from psynote import testing as t
    from psynote.accounts.models import Practice, User
    from psynote.clients.models import Client

    call_command("migrate", verbosity=0)
    names = [NAME.format(n) for n in range(1, PRACTICES + 1)]
    others = Practice.objects.exclude(name__in=names)
    if others.exists():
        raise SystemExit("bench --practices: the database holds practices this benchmark did "
                         "not make; give it an empty database.")
    pairs: list[list[tuple[int, Any]]] = []
    for n, name in enumerate(names):
        practice = Practice.objects.filter(name=name).first() or t.make_practice(name)
        # Practice 1 carries every worker in the one-practice runs; the others a share.
        wanted = max_workers if n == 0 else -(-max_workers // PRACTICES)
        mine = []
        for k in range(wanted):
            username = f"bench{n + 1:02d}c{k + 1:02d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = t.make_user(practice, username)
                t.make_client(user, first_name=f"Benchclient{k + 1:02d}", last_name="Fictional")
            client = Client.objects.filter(care_team__user=user).get()
            mine.append((user.pk, client.pk))
        pairs.append(mine)
    return pairs


def _note_worker(user_id: int, client_id: Any, start: Any, stop_at: float, out: Any) -> None:
    from django.db import connection

    from psynote import testing as t
    from psynote.accounts.models import User
    from psynote.clients.models import Client

    user, client = User.objects.get(pk=user_id), Client.objects.get(pk=client_id)
    connection.ensure_connection()
    start.wait()
    latencies = []
    cpu = time.process_time()
    while time.perf_counter() < stop_at:
        began = time.perf_counter()
        t.make_note(t.make_session(client, user), sign=True)
        latencies.append(time.perf_counter() - began)
    out.put((latencies, time.process_time() - cpu))


def _bare_worker(url: str, size: int, start: Any, stop_at: float, out: Any) -> None:
    import psycopg

    body = os.urandom(size)
    latencies = []
    # No prepared statements, as Django (and as a pooler in transaction mode needs).
    with psycopg.connect(url, autocommit=False, prepare_threshold=None) as conn:
        start.wait()
        cpu = time.process_time()
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            conn.execute(f"INSERT INTO {BARE_TABLE} (body) VALUES (%s)", (body,))
            conn.commit()
            latencies.append(time.perf_counter() - began)
    out.put((latencies, time.process_time() - cpu))


def _commits() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = "
                       "current_database()")
        return int(cursor.fetchone()[0])


def _run(figure: Figure, target: Any, args: list[tuple], seconds: float) -> Figure:
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    before = _commits()
    connections.close_all()
    stop_at = time.perf_counter() + seconds + 2.0  # the workers' start-up is not measured
    procs = [ctx.Process(target=target, args=(*a, start, stop_at, out)) for a in args]
    for proc in procs:
        proc.start()
    time.sleep(2.0)
    began = time.perf_counter()
    start.set()
    for _ in procs:
        try:
            latencies, cpu = out.get(timeout=seconds + 120)
        except queue.Empty:
            for proc in procs:
                proc.kill()
            raise SystemExit(f"bench --practices: a worker of {figure.label} x{figure.workers} "
                             "died (its traceback is above)") from None
        figure.latencies.extend(latencies)
        figure.cpu += cpu
    figure.seconds = max(stop_at, time.perf_counter()) - began
    for proc in procs:
        proc.join()
    figure.ops = len(figure.latencies)
    time.sleep(0.6)  # exited backends have flushed their statistics
    figure.commits = _commits() - before
    return figure


def _row_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(avg(pg_column_size(n.*)), 1024)::int "
                       "FROM notes_progressnote n WHERE signed_at IS NOT NULL")
        return int(cursor.fetchone()[0])


def run(url: str, workers: list[int], seconds: float, log: Any = print) -> dict[str, Any]:
    from django.db import connection

    from bench.run import machine

    pairs = _prepare(max(workers))
    info = machine()
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        info["fsync"] = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        info["synchronous_commit"] = cursor.fetchone()[0]
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
                       "(id bigserial PRIMARY KEY, body bytea NOT NULL)")
    figures: list[Figure] = []
    for w in workers:
        one = [pairs[0][i] for i in range(w)]
        spread = [pairs[i % PRACTICES][i // PRACTICES] for i in range(w)]
        for label, chosen in (("1 practice", one), (f"{PRACTICES} practices", spread)):
            if w == 1 and label != "1 practice":
                continue  # one writer is one practice either way
            log(f"  note create+sign, {label}, {w} worker(s) ...")
            figures.append(_run(Figure(label, w), _note_worker, chosen, seconds))
    size = _row_size()
    for w in workers:
        log(f"  bare INSERT+COMMIT of {size} bytes, {w} worker(s) ...")
        figures.append(_run(Figure("bare insert+commit", w), _bare_worker,
                            [(url, size)] * w, seconds))
    info["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return {"machine": info, "figures": figures, "row_size": size, "seconds": seconds}


def report(result: dict[str, Any], command: str) -> str:
    m = result["machine"]
    lines = [
        "Several practices writing at once (bench/practices.py)",
        f"  {m['cpu']}, {m['cores']} cores, {m['ram']}; PostgreSQL {m.get('postgresql', '?')} "
        f"(fsync={m['fsync']}, synchronous_commit={m['synchronous_commit']}); {m['date']}",
        f"  load average before {m['load_average']}, after {m['load_after']}; "
        f"{result['seconds']:g} s per figure",
        f"  {'what':<22}{'workers':>8}{'ops/s':>10}{'commits/s':>11}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU ms/op':>11}",
    ]
    bare = {f.workers: f for f in result["figures"] if f.label.startswith("bare")}
    for f in result["figures"]:
        lines.append(
            f"  {f.label:<22}{f.workers:>8}{f.rate:>10.1f}{f.commits / f.seconds:>11.0f}"
            f"{f.p(0.5):>9.1f}{f.p(0.95):>9.1f}{f.cpu * 1000 / max(f.ops, 1):>11.2f}"
        )
    lines.append("  ratio: note create+sign ops/s per bare commit/s with the same workers")
    for f in result["figures"]:
        if not f.label.startswith("bare") and f.workers in bare and bare[f.workers].rate:
            lines.append(f"    {f.label:<14} x{f.workers:<3} {f.rate / bare[f.workers].rate:.3f} "
                         f"({f.commits / max(f.ops, 1):.1f} commits per create+sign)")
    best = max((f for f in result["figures"] if not f.label.startswith("bare")),
               key=lambda f: f.rate)
    lines.append(f"  most create+sign/s: {best.rate:.1f} ({best.label}, {best.workers} workers);"
                 f" bare ceiling {max(b.rate for b in bare.values()):.0f} commits/s")
    lines.append("  CPU ms/op: the client processes' own CPU time per operation (Python, Django,"
                 " psycopg), steadier than wall-clock time on a busy machine")
    lines.append(f"Command: {command}")
    return "\n".join(lines)


def main(url: str, home: Any, workers: list[int], seconds: float, command: str) -> int:
    """Set up Django on `url` (production hasher and durability), run, print."""
    os.environ.update({"DATABASE_URL": url, "PSYNOTE_HOME": str(home),
                       "DJANGO_SETTINGS_MODULE": "psynote.settings"})
    home.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from psynote.lib import crypto

    crypto.create_master_key_file()
    result = run(url, workers, seconds)
    print()
    print(report(result, command))
    return 0
