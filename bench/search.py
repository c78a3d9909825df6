"""Search over encrypted notes (ADR 0016) beside plaintext SQLite FTS5 over the same notes.

On the generated practice: build the blind index (`psynote reindex`'s code) and, in the
same run, an FTS5 table in memory holding the same notes' decrypted text. Then time the
same queries for a clinician with 150 clients and a supervisor of three clinicians:
Psynote's `search_notes` (access query, token derivation per client, index lookup,
opening the newest 20 matches and cutting snippets), each call with a fresh key cache as in
a request; and FTS5 `MATCH` limited to the same clients, newest 20 with `snippet()` plus
the match count. The queries are words of the generated text (common ones: the text has
a small vocabulary, so they match many notes), two-word ANDs and a word that matches none.
"""

import random
import sqlite3
import time
from typing import Any

from django.db import transaction

from bench.fiction import SENTENCES
from bench.generate import CLINICIAN_PREFIX
from bench.measure import Latency, timed_each
from psynote.accounts.models import Role, User
from psynote.clients.models import CareTeamMember, Client
from psynote.lib import crypto
from psynote.notes.models import ProgressNote
from psynote.search import index, terms
from psynote.search.models import IndexEntry
from psynote.search.queries import Filters, search_notes, searchable_clients
from psynote.supervision.models import Supervision

P95_MS = 50.0
RATIO = 3.0
SUPERVISOR = "bench-search-supervisor"
CASELOAD = 150
ROUNDS = 200


def _clinician_with_150(log: Any) -> User:
    user = User.objects.filter(username__startswith=CLINICIAN_PREFIX).order_by("username").first()
    have = set(CareTeamMember.objects.filter(user=user).values_list("client_id", flat=True))
    more = (
        Client.objects.filter(practice_id=user.practice_id)
        .exclude(pk__in=have)
        .order_by("pk")[: max(0, CASELOAD - len(have))]
    )
    CareTeamMember.objects.bulk_create(
        [CareTeamMember(client=client, user=user) for client in more]
    )
    log(f"  {user.username} is on {CareTeamMember.objects.filter(user=user).count()} care teams")
    return user


def _supervisor(log: Any) -> User:
    clinicians = list(
        User.objects.filter(username__startswith=CLINICIAN_PREFIX).order_by("username")[1:4]
    )
    user = User.objects.filter(username=SUPERVISOR).first()
    if user is None:
        user = User.objects.create(
            username=SUPERVISOR,
            role=Role.SUPERVISOR,
            practice_id=clinicians[0].practice_id,
            first_name="Bench",
            last_name="Supervisor",
        )
    for clinician in clinicians:
        Supervision.objects.get_or_create(supervisor=user, supervisee=clinician)
    log(
        f"  {SUPERVISOR} supervises {len(clinicians)} clinicians: "
        f"{searchable_clients(user).count()} clients"
    )
    return user


def _fts(log: Any) -> tuple[sqlite3.Connection, float]:
    """Every note's text, decrypted, in an in-memory FTS5 table (what a plaintext index
    would hold)."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(note_id UNINDEXED, client_id UNINDEXED, "
        "day UNINDEXED, body)"
    )
    started = time.perf_counter()
    rows = []
    notes = ProgressNote.objects.select_related("client", "session").order_by("pk")
    with crypto.keys_cached():
        for note in notes.iterator(chunk_size=2000):
            rows.append(
                (
                    str(note.pk),
                    str(note.client_id),
                    note.session.date.isoformat(),
                    "\n".join(index.note_texts(note, [])),
                )
            )
            if len(rows) >= 5000:
                db.executemany("INSERT INTO fts VALUES (?, ?, ?, ?)", rows)
                rows = []
    db.executemany("INSERT INTO fts VALUES (?, ?, ?, ?)", rows)
    db.commit()
    seconds = time.perf_counter() - started
    log(f"  FTS5 table of the same notes built in {seconds:.1f} s")
    return db, seconds


def _queries(seed: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = sorted(
        {t for sentence in SENTENCES for t in terms.terms(sentence) if t.isalpha() and len(t) > 3}
    )
    single = [rng.choice(vocabulary) for _ in range(8)]
    pairs = [" ".join(rng.sample(vocabulary, 2)) for _ in range(8)]
    return [*single, *pairs, "zanzibar", "sleep zanzibar"]


def _fts_query(db: sqlite3.Connection, clients: list[Any], query: str) -> None:
    match = " AND ".join(f'"{t}"' for t in terms.query_terms(query))
    marks = ",".join("?" * len(clients))
    db.execute(
        f"SELECT count(*) FROM fts WHERE fts MATCH ? AND client_id IN ({marks})",  # noqa: S608
        [match, *clients],
    ).fetchone()
    db.execute(
        f"SELECT note_id, snippet(fts, 3, '[', ']', '…', 24) FROM fts "  # noqa: S608
        f"WHERE fts MATCH ? AND client_id IN ({marks}) ORDER BY day DESC LIMIT 20",
        [match, *clients],
    ).fetchall()


def _ours(user: User, query: str) -> None:
    with crypto.keys_cached():  # a fresh cache, as each request has
        search_notes(user, Filters(query=query))


def run(seed: int, log: Any = print) -> dict[str, Any]:
    log("Search: blind index beside plaintext FTS5")
    figures: dict[str, Any] = {}
    if not IndexEntry.objects.exists():
        started = time.perf_counter()
        with crypto.keys_cached():
            notes, entries = index.rebuild(log=log)
        figures["index"] = {
            "notes": notes,
            "entries": entries,
            "seconds": time.perf_counter() - started,
        }
        log(
            f"  index built: {notes:,} notes, {entries:,} entries in "
            f"{figures['index']['seconds']:.1f} s"
        )
    with transaction.atomic():
        users = {
            "clinician, 150 clients": _clinician_with_150(log),
            "supervisor of 3 clinicians": _supervisor(log),
        }
    db, fts_seconds = _fts(log)
    figures["fts_build_seconds"] = fts_seconds
    queries = _queries(seed)
    figures["queries"] = queries
    for label, user in users.items():
        clients = [str(pk) for pk in searchable_clients(user).values_list("pk", flat=True)]
        plan = [queries[i % len(queries)] for i in range(ROUNDS)]
        for query in queries[:5]:  # warm both caches
            _ours(user, query)
            _fts_query(db, clients, query)
        ours = Latency.of(timed_each(plan, lambda q, u=user: _ours(u, q)))
        bare = Latency.of(timed_each(plan, lambda q, c=clients: _fts_query(db, c, q)))
        candidates = [search_notes(user, Filters(query=q)).candidates for q in queries]
        figures[label] = {
            "clients": len(clients),
            "ours": ours.__dict__,
            "fts5": bare.__dict__,
            "median_candidates": sorted(candidates)[len(candidates) // 2],
            "max_candidates": max(candidates),
        }
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [
        "| search (newest 20 with snippets) | Psynote blind index | plaintext SQLite FTS5 "
        "(same notes, same run) | ratio (p95) | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, f in figures.items():
        if not isinstance(f, dict) or "ours" not in f:
            continue
        ours, bare = f["ours"], f["fts5"]
        ratio = ours["p95_ms"] / bare["p95_ms"]
        ok = ours["p95_ms"] <= P95_MS and ratio <= RATIO
        lines.append(
            f"| {label} ({f['clients']} clients; matches per query: median "
            f"{f['median_candidates']:,}, max {f['max_candidates']:,}), n={ours['n']} | median "
            f"{ours['median_ms']:.1f} ms, p95 {ours['p95_ms']:.1f} ms | median "
            f"{bare['median_ms']:.1f} ms, p95 {bare['p95_ms']:.1f} ms | ×{ratio:.1f} | "
            f"p95 ≤ {P95_MS:.0f} ms and ≤ ×{RATIO:.0f}: {'PASS' if ok else 'MISS'} |"
        )
    if "index" in figures:
        i = figures["index"]
        lines.append(
            f"\nIndex build (`psynote reindex`): {i['notes']:,} notes, "
            f"{i['entries']:,} entries, {i['seconds']:.0f} s; FTS5 build of the same "
            f"notes: {figures['fts_build_seconds']:.0f} s."
        )
    return "\n".join(lines)
