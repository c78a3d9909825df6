"""Crash safety and concurrency against a real `psynote serve` (ADR 0012).

A fresh installation of its own (a data folder; on PostgreSQL, a database of its own on the
suite's server), served by gunicorn with its default workers, driven through the API and the
pages by bench/load.py:

- kill -9 of the server's whole process group, three times, in the middle of a signing
  load: every note whose sign was answered 200 is signed, opens, and holds what was sent;
  no note is signed without its audit event or the other way round; `psynote verify` passes.
- ten clinicians for ten seconds: no error, no "database is locked". The full 50-clinician
  run with its figures is `python -m bench --load` (docs/benchmarks.md).
"""

import os
import random
import threading
import time

import pytest

from bench import load

KILLS = 3
WRITERS = 4


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    found = load.Installation(tmp_path_factory.mktemp("served"),
                              os.environ.get("DATABASE_URL", ""), fast_hasher=True)
    yield found
    found.remove()


@pytest.fixture(scope="module")
def accounts(installation):
    return installation.prepare(WRITERS + 10)


def test_kill_9_loses_no_acknowledged_signature(installation, accounts):
    tally = load.Tally()
    shuffle = random.Random(8)
    for _ in range(KILLS):
        server = load.Serve(installation).start()
        stop = threading.Event()
        writers = [threading.Thread(target=load.signing_loop,
                                    args=(server.port, account, tally, stop))
                   for account in accounts[:WRITERS]]
        for writer in writers:
            writer.start()
        before = len(tally.signed)
        deadline = time.monotonic() + 120  # a hang guard, not a timing goal
        # Kill once signatures are flowing, at a point the seed picks within them.
        while len(tally.signed) < before + shuffle.randint(8, 20):
            assert time.monotonic() < deadline, f"no signing load: {server.log_text()[-2000:]}"
            time.sleep(0.01)
        server.kill()
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
        assert not any(writer.is_alive() for writer in writers)
    assert len(tally.signed) >= KILLS * 8

    server = load.Serve(installation).start()
    try:
        for account in accounts[:WRITERS]:
            api = load.Api(server.port, account["token"])
            mine = [note for note, text in tally.signed.items()
                    if account["username"] in text]
            for note in mine:
                status, body = api.call("GET", f"/notes/{note}")
                assert status == 200, body
                assert body["signature"] is not None, f"acknowledged but unsigned: {note}"
                assert body["content"]["sections"]["subjective"] == tally.signed[note]
    finally:
        server.stop()
    problems = installation.check()
    assert not any(problems.values()), problems
    verified = installation.cli("verify")
    assert "BROKEN" not in verified


def test_ten_clinicians_for_ten_seconds_meet_no_error_and_no_lock(installation, accounts):
    server = load.Serve(installation).start()
    try:
        tally = load.run_load(server.port, accounts[WRITERS:], seconds=10, think=0.0)
    finally:
        server.stop()
    print(load.report(tally, server.log_text(), len(accounts[WRITERS:]), 10))
    assert tally.errors == []
    assert load.LOCKED not in server.log_text()
    assert len(tally.signed) >= len(accounts[WRITERS:])  # each signed at least one
    problems = installation.check()
    assert not any(problems.values()), problems
