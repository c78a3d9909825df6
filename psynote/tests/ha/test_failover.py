"""Failover of the high-availability pair under a write load (ADR 0018): `make test-ha`.

Runs only under scripts/with-ha-postgres (pg_auto_failover: a monitor, a primary and a
synchronous secondary on loopback ports), deselected from the normal suite by its `ha`
marker. A fresh installation (`psynote init`, on a database of its own on the pair) is served
by `psynote serve` (gunicorn) at the multi-host DATABASE_URL; writers create sessions and
notes and sign them through the API. Once signatures flow, the primary server is lost: its
pg_autoctl keeper and its postgres get SIGKILL. pg_auto_failover promotes the secondary, and
the same server, never restarted, carries on. Then:

- writes resume (the seconds are measured and printed, docs/benchmarks.md "Failover");
- while they could not, every answer was the switch-over's 503, never a 500;
- every note whose sign answered 200 is signed, with the text that was sent, on the new
  primary; no note is signed without its event or the other way round;
- every acknowledged action has exactly one audit event, no action has two, and each
  practice's sequence numbers are contiguous; `psynote verify` passes.
"""

import contextlib
import http.client
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import load

pytestmark = pytest.mark.ha

WRITERS = 4
SIGNED_BEFORE_KILL = 8  # signatures acknowledged by the first primary before it is lost
SIGNED_AFTER = 8        # and by the promoted secondary before the load stops
HANG_GUARD = 180         # seconds: a stalled failover fails the test instead of hanging CI
SWITCHING = "switching over to its standby server"

# Run inside the installation (python -c): the audit events of the acknowledged actions.
AUDIT_QUERY = """
import json, sys, django
django.setup()
from collections import Counter
from psynote.audit.models import AuditEvent
counts = Counter(AuditEvent.objects.filter(
    action__in=["session.create", "note.create", "note.sign"]).values_list("action", "target_id"))
gaps = {}
for practice in AuditEvent.objects.values_list("practice_id", flat=True).distinct():
    seqs = list(AuditEvent.objects.filter(practice_id=practice).order_by("seq")
                .values_list("seq", flat=True))
    if seqs != list(range(1, len(seqs) + 1)):
        gaps[practice] = [s for a, s in zip(seqs, seqs[1:]) if s != a + 1][:5] or seqs[:1]
print(json.dumps({"events": [[a, t, n] for (a, t), n in counts.items()], "gaps": gaps}))
"""


@dataclass
class Outcomes:
    """Every answer the writers got, and what the server acknowledged."""

    answers: list[tuple[float, float, str, int, str]] = field(default_factory=list)
    acknowledged: dict[str, set[str]] = field(
        default_factory=lambda: {"session.create": set(), "note.create": set(),
                                 "note.sign": set()})
    signed_text: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def signed_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for start, _, what, status, _ in self.answers
                       if what == "note.sign" and status == 200 and start >= moment)

    def first_write_after(self, moment: float) -> float | None:
        with self.lock:
            ends = [end for start, end, _, status, _ in self.answers
                    if start >= moment and status in (200, 201)]
        return min(ends) - moment if ends else None


def _call(api: load.Api, outcomes: Outcomes, what: str, method: str, path: str,
          body: Any) -> tuple[int, Any]:
    start = time.monotonic()
    status, answer = api.call(method, path, body)
    detail = "" if status < 300 else json.dumps(answer)[:300]
    with outcomes.lock:
        outcomes.answers.append((start, time.monotonic(), what, status, detail))
    return status, answer


def _writer(port: int, account: dict[str, Any], outcomes: Outcomes,
            stop: threading.Event) -> None:
    api, day, n = load.Api(port, account["token"]), date.today() - timedelta(days=1), 0
    while not stop.is_set():
        n += 1
        text = f"Fictional failover note {n} of {account['username']}."
        try:
            status, session = _call(api, outcomes, "session.create", "POST",
                                    f"/clients/{account['client_id']}/sessions",
                                    {"date": day.isoformat(), "start_time": "10:00",
                                     "end_time": "10:55"})
            if status != 201:
                time.sleep(0.1)
                continue
            with outcomes.lock:
                outcomes.acknowledged["session.create"].add(session["id"])
            status, note = _call(api, outcomes, "note.create", "POST",
                                 f"/sessions/{session['id']}/notes", {"template": "soap"})
            if status != 201:
                continue
            with outcomes.lock:
                outcomes.acknowledged["note.create"].add(note["id"])
            status, _ = _call(api, outcomes, "note.update", "PATCH", f"/notes/{note['id']}",
                              {"sections": load.SOAP | {"subjective": text},
                               "diagnosis_codes": [account["diagnosis"]]})
            if status != 200:
                continue
            status, _ = _call(api, outcomes, "note.sign", "POST", f"/notes/{note['id']}/sign",
                              {})
            if status == 200:
                with outcomes.lock:
                    outcomes.acknowledged["note.sign"].add(note["id"])
                    outcomes.signed_text[note["id"]] = text
        except (OSError, http.client.HTTPException, ValueError) as error:
            # The Psynote server itself never goes away in this test: record it as a failure.
            with outcomes.lock:
                outcomes.answers.append((time.monotonic(), time.monotonic(), "transport", 0,
                                         repr(error)))
            time.sleep(0.1)


def _lose_primary(ha_dir: Path, node: str) -> None:
    """The primary server is gone: its keeper (which would restart postgres) and postgres
    itself get SIGKILL, with no chance to finish anything."""
    postmaster = int((ha_dir / node / "postmaster.pid").read_text().split()[0])
    keeper_group = int((ha_dir / f"{node}.pgid").read_text())
    os.killpg(keeper_group, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):  # it was in the keeper's group
        os.kill(postmaster, signal.SIGKILL)


def _wait(condition: Any, what: str, seconds: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"hang guard: {what} after {seconds} s"
        time.sleep(0.05)


def _monitor_events(since: float) -> list[tuple[float, str, str]]:
    """(seconds after `since`, node, state) as the monitor recorded them."""
    with psycopg.connect(os.environ["PSYNOTE_HA_MONITOR"], autocommit=True) as monitor:
        rows = monitor.execute(
            "SELECT extract(epoch FROM eventtime)::float8, nodename, reportedstate::text "
            "FROM pgautofailover.event ORDER BY eventid").fetchall()
    return [(at - since, node, state) for at, node, state in rows if at >= since]


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    assert "PSYNOTE_HA_DIR" in os.environ, "run under scripts/with-ha-postgres (make test-ha)"
    started = time.monotonic()
    # The migrations are setup, not what is tested: their few hundred small transactions
    # need not each wait for the secondary. The server and the load run without this.
    os.environ["PGOPTIONS"] = "-c synchronous_commit=local"
    try:
        found = load.Installation(tmp_path_factory.mktemp("ha"), os.environ["DATABASE_URL"],
                                  fast_hasher=True)
    finally:
        del os.environ["PGOPTIONS"]
    found.env.pop("PGOPTIONS", None)
    print(f"\npsynote init on the pair: {time.monotonic() - started:.0f} s")
    yield found
    # The database dies with the pair (scripts/with-ha-postgres removes everything).


def test_losing_the_primary_loses_no_acknowledged_write(installation):
    ha_dir = Path(os.environ["PSYNOTE_HA_DIR"])
    primary = Path(os.environ["PSYNOTE_HA_PRIMARY"]).name
    started = time.monotonic()
    accounts = installation.prepare(WRITERS)
    server = load.Serve(installation).start()
    print(f"clinicians and server ready: {time.monotonic() - started:.0f} s")
    outcomes, stop = Outcomes(), threading.Event()
    writers = [threading.Thread(target=_writer, args=(server.port, account, outcomes, stop))
               for account in accounts]
    try:
        for writer in writers:
            writer.start()
        _wait(lambda: outcomes.signed_since(0) >= SIGNED_BEFORE_KILL, "no signing load")
        print(f"signing load until the kill: {time.monotonic() - started:.0f} s")
        killed_at, killed_wall = time.monotonic(), time.time()
        _lose_primary(ha_dir, primary)
        _wait(lambda: outcomes.signed_since(killed_at) >= SIGNED_AFTER, "no write resumed")
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
        assert not any(writer.is_alive() for writer in writers)
        # Every acknowledged signature is there, with what was sent, read through the same
        # server (never restarted) from the new primary.
        for account in accounts:
            api = load.Api(server.port, account["token"])
            for note, text in outcomes.signed_text.items():
                if account["username"] not in text:
                    continue
                status, body = api.call("GET", f"/notes/{note}")
                assert status == 200, body
                assert body["signature"] is not None, f"acknowledged but unsigned: {note}"
                assert body["content"]["sections"]["subjective"] == text
    finally:
        stop.set()
        server.stop()

    resumed = outcomes.first_write_after(killed_at)
    refused = [a for a in outcomes.answers if a[3] not in (200, 201)]
    events = _monitor_events(killed_wall)
    promoted = next((at for at, node, state in events
                     if node != primary and state in ("wait_primary", "primary")), None)
    signed = outcomes.acknowledged["note.sign"]
    promotion = "never" if promoted is None else f"at {promoted:.1f} s"
    print(f"\nFailover: primary lost at t=0; the secondary reported wait_primary {promotion}; "
          f"first write acknowledged at {resumed:.1f} s; {len(refused)} requests answered "
          f"503 meanwhile; {len(signed)} notes signed ({SIGNED_BEFORE_KILL}+ before, "
          f"{SIGNED_AFTER}+ after); load average {os.getloadavg()[0]:.1f}")
    assert resumed is not None
    assert promoted is not None, events

    # While no server took writes: the switch-over's 503 with its sentence, nothing else.
    assert all(status == 503 and SWITCHING in detail for _, _, _, status, detail in refused), (
        refused[:5])

    # The promoted secondary is the one serving, and takes writes.
    with psycopg.connect(installation.env["DATABASE_URL"], autocommit=True) as database:
        port, in_recovery = database.execute(
            "SELECT inet_server_port(), pg_is_in_recovery()").fetchone()
    assert not in_recovery
    assert f"127.0.0.1:{port}" in os.environ["DATABASE_URL"].split(",")[1]

    problems = installation.check()
    assert not any(problems.values()), problems

    audit = json.loads(installation.python("-c", AUDIT_QUERY))
    counts = {(action, target): n for action, target, n in audit["events"]}
    for action, targets in outcomes.acknowledged.items():
        missing = [t for t in targets if (action, t) not in counts]
        assert not missing, f"{action}: acknowledged without its event: {missing[:5]}"
    duplicated = {key: n for key, n in counts.items() if n > 1}
    assert not duplicated, f"events recorded twice: {list(duplicated.items())[:5]}"
    assert audit["gaps"] == {}, audit["gaps"]

    verified = installation.cli("verify")
    assert "BROKEN" not in verified
