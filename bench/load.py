"""Simulated clinicians against a real `psynote serve` (ADR 0012, docs/benchmarks.md).

`python -m bench --load` runs 50 clinicians for 60 s on a fresh SQLite installation with the
server's default workers. Each clinician, in a loop: opens the caseload and a chart (pages),
records a session and starts its note (API), autosaves the draft twice (the editor's page
endpoint), opens it (page and API), signs it (page or API, in turn) and administers a PHQ-9
(API). It prints the p95 per action and counts errors and "database is locked" anywhere,
in answers or in the server's log.

The same pieces serve the tests: a short load (psynote/tests/test_load.py) and the kill -9
crash test (psynote/tests/test_crash_safety.py).

`python -m bench.load prepare N` and `... check` run inside an installation's environment
(`Installation.python`): they make its fictional clinicians, and count partial writes.
"""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.web import REPO, Browser, free_port

PASSWORD = "fictional-load-pass-123"  # noqa: S105 - fictional practice
SOAP = {"subjective": "Fictional week, sleeping better.", "objective": "Calm, engaged.",
        "assessment": "Progressing.", "plan": "Continue weekly."}
PHQ9 = {str(item): item % 3 for item in range(1, 9)} | {"9": 0}  # no risk item
LOCKED = "database is locked"


# --- an installation: data folder, database, server -------------------------------------


class Installation:
    """A fresh data folder (and, on PostgreSQL, a database of its own on the server that
    `database_url` names), initialised with `psynote init`."""

    def __init__(self, home: Path, database_url: str = "", fast_hasher: bool = False) -> None:
        self.home, self.database_url = home, database_url
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("PSYNOTE_") and k != "DATABASE_URL"}
        self.env |= {"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings",
                     "PYTHONPATH": str(REPO)}
        if fast_hasher:  # tests only, as in psynote/pytest_env.py
            self.env["PSYNOTE_FAST_HASHER"] = "1"
        self.own_database = ""
        if database_url:
            self.own_database = f"psynote_load_{os.getpid()}_{random.randrange(10**6)}"
            self._admin(f'CREATE DATABASE "{self.own_database}"')
            parts = urlsplit(database_url)
            self.env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + self.own_database))
        home.mkdir(parents=True, exist_ok=True)
        self.cli("init", "--practice-name", "Fictional Load Practice")

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as admin:
            admin.execute(statement)

    def remove(self) -> None:
        if self.own_database:
            self._admin(f'DROP DATABASE IF EXISTS "{self.own_database}" WITH (FORCE)')
        shutil.rmtree(self.home, ignore_errors=True)

    def python(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, *args], cwd=REPO, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def cli(self, *args: str) -> str:
        return self.python("-m", "psynote.cli", *args)

    def prepare(self, clinicians: int) -> list[dict[str, Any]]:
        return json.loads(self.python("-m", "bench.load", "prepare", str(clinicians)))

    def check(self) -> dict[str, int]:
        return json.loads(self.python("-m", "bench.load", "check"))


class Serve:
    """`psynote serve` with its default workers, in a process group of its own so that
    `kill()` is a kill -9 of the master and every worker at once."""

    def __init__(self, installation: Installation) -> None:
        self.installation = installation
        self.port = free_port()
        self.log_file = installation.home / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Serve":
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [sys.executable, "-m", "psynote.cli", "serve", "--bind",
                 f"127.0.0.1:{self.port}"], cwd=REPO, env=self.installation.env,
                stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_file}")
            try:
                if Browser(self.port).request("GET", "/login/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within 60 s; see {self.log_file}")

    def kill(self) -> None:
        """SIGKILL to the whole group: no worker finishes its request, nothing is flushed."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn stops its own workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


# --- a simulated clinician --------------------------------------------------------------


class Refused(Exception):
    """An answer other than the one expected: counted as an error."""


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {self.token}",
                       "Content-Type": "application/json"}
            payload = None if body is None else json.dumps(body).encode()
            connection.request(method, "/api/v1" + path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw or b"null")
        except ValueError:
            return response.status, raw.decode(errors="replace")


def start_draft(api: Api, client_id: str, day: date) -> str:
    """A session yesterday and its note's draft, through the API: the note's id."""
    status, session = api.call("POST", f"/clients/{client_id}/sessions", {
        "date": day.isoformat(), "start_time": "10:00", "end_time": "10:55"})
    if status != 201:
        raise Refused(f"session: {status} {session}")
    status, note = api.call("POST", f"/sessions/{session['id']}/notes", {"template": "soap"})
    if status != 201:
        raise Refused(f"start note: {status} {note}")
    return note["id"]


@dataclass
class Tally:
    """Latencies per action, errors, and what was acknowledged; shared by all threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    signed: dict[str, str] = field(default_factory=dict)  # note id -> its subjective text
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, action: str, call: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            result = call(*args)
        except (Refused, OSError, http.client.HTTPException, ValueError) as error:
            with self.lock:
                self.errors.append(f"{action}: {error}"[:300])
            raise
        with self.lock:
            self.latencies[action].append(time.perf_counter() - started)
        return result


def _expect(status: int, wanted: int, what: str, body: Any = "") -> None:
    if status != wanted:
        raise Refused(f"{what}: {status} {str(body)[:200]}")


def clinician_loop(port: int, account: dict[str, Any], tally: Tally, ready: threading.Barrier,
                   clock: dict[str, float], think: float) -> None:
    """One clinician's day, repeated until clock["until"], `think` seconds between
    actions: see the module docstring. Everyone logs in before the clock starts."""
    browser, api = Browser(port), Api(port, account["token"])
    client, day = account["client_id"], date.today() - timedelta(days=1)

    def page(path: str, form: dict[str, str] | None = None, wanted: int = 200) -> bytes:
        status, _, body = (browser.post(path, form) if form is not None
                           else browser.request("GET", path))
        _expect(status, wanted, path, body[:200] if status >= 500 else "")
        return body

    def api_call(method: str, path: str, body: Any, wanted: int) -> Any:
        status, answer = api.call(method, path, body)
        _expect(status, wanted, f"{method} {path}", answer)
        return answer

    try:
        tally.timed("log in (page)", browser.login, account["username"], PASSWORD)
    except (Refused, OSError, http.client.HTTPException, RuntimeError) as error:
        with tally.lock:
            tally.errors.append(f"log in: {error}")
        ready.wait()
        return
    ready.wait()
    real_timed, round_ = tally.timed, 0

    def timed(action: str, call: Any, *args: Any) -> Any:
        time.sleep(think * random.uniform(0.5, 1.5))  # pacing, not in lockstep
        return real_timed(action, call, *args)

    while time.monotonic() < clock["until"]:
        round_ += 1
        try:
            timed("open caseload (page)", page, "/caseload/")
            timed("open chart (page)", page, f"/clients/{client}/")
            note = timed("start note (API)", start_draft, api, client, day)
            text = f"Fictional week {round_} of {account['username']}."
            for n in (1, 2):
                timed("autosave (page)", page, f"/notes/{note}/autosave/", {
                    **{f"section_{k}": v for k, v in SOAP.items()},
                    "section_subjective": f"{text} Draft {n}.",
                    "diagnosis_codes": account["diagnosis"]})
            timed("patch draft (API)", api_call, "PATCH", f"/notes/{note}",
                        {"sections": SOAP | {"subjective": text}}, 200)
            timed("open note (page)", page, f"/notes/{note}/edit/")
            if round_ % 2:
                timed("sign (page)", page, f"/notes/{note}/sign/", {}, 302)
            else:
                timed("sign (API)", api_call, "POST", f"/notes/{note}/sign", {}, 200)
            with tally.lock:
                tally.signed[note] = text
            timed("open note (API)", api_call, "GET", f"/notes/{note}", None, 200)
            timed("administer PHQ-9 (API)", api_call, "POST",
                        f"/clients/{client}/administrations",
                        {"instrument": "phq9", "answers": PHQ9}, 201)
        except (Refused, OSError, http.client.HTTPException, ValueError):
            time.sleep(0.2)  # counted by `timed`; the next round starts afresh


def signing_loop(port: int, account: dict[str, Any], tally: Tally,
                 stop: threading.Event) -> None:
    """Write as fast as one caller can, through the API only, until `stop`: the crash
    test's load. A note joins `tally.signed` only once its sign answered 200."""
    api, day, n = Api(port, account["token"]), date.today() - timedelta(days=1), 0
    while not stop.is_set():
        n += 1
        text = f"Fictional crash-test note {n} of {account['username']}."
        try:
            note = start_draft(api, account["client_id"], day)
            status, _ = api.call("PATCH", f"/notes/{note}", {
                "sections": SOAP | {"subjective": text},
                "diagnosis_codes": [account["diagnosis"]]})
            if status == 200 and api.call("POST", f"/notes/{note}/sign", {})[0] == 200:
                with tally.lock:
                    tally.signed[note] = text
        except (Refused, OSError, http.client.HTTPException, ValueError):
            time.sleep(0.05)  # the server is gone (killed) or restarting


def run_load(port: int, accounts: list[dict[str, Any]], seconds: float,
             think: float = 0.0) -> Tally:
    tally, clock = Tally(), {"until": 0.0}
    ready = threading.Barrier(
        len(accounts), action=lambda: clock.update(until=time.monotonic() + seconds))
    threads = [threading.Thread(target=clinician_loop,
                                args=(port, a, tally, ready, clock, think)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(tally: Tally, server_log: str, clients: int, seconds: float,
           think: float = 0.0) -> str:
    lines = [f"{clients} simulated clinicians for {seconds:g} s ({think:g} s between "
             "actions) against `psynote serve` (default workers):",
             f"  {'action':<24}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for action, values in tally.latencies.items():
        lines.append(f"  {action:<24}{len(values):>7}{percentile(values, .5) * 1000:>9.0f}"
                     f"{percentile(values, .95) * 1000:>9.0f}{max(values) * 1000:>9.0f}")
    total = sum(len(v) for v in tally.latencies.values())
    lines.append(f"  {total} requests, {total / seconds:.0f}/s; notes signed: "
                 f"{len(tally.signed)}; errors: {len(tally.errors)}; "
                 f"\"{LOCKED}\" in the server log: {server_log.count(LOCKED)}")
    lines += [f"  error: {error}" for error in tally.errors[:10]]
    return "\n".join(lines)


def main(clients: int, seconds: float, home: Path, think: float) -> int:
    """`python -m bench --load`: a fresh SQLite installation in `home`, production hasher."""
    shutil.rmtree(home, ignore_errors=True)
    installation = Installation(home)
    print(f"Preparing {clients} fictional clinicians in {home} ...")
    accounts = installation.prepare(clients)
    server = Serve(installation).start()
    try:
        tally = run_load(server.port, accounts, seconds, think)
    finally:
        server.stop()
    print(report(tally, server.log_text(), clients, seconds, think))
    problems = installation.check()
    print(f"  after the run: {problems}")
    return 1 if tally.errors or LOCKED in server.log_text() or any(problems.values()) else 0


# --- run inside an installation (python -m bench.load prepare|check) --------------------


def _prepare(clinicians: int) -> list[dict[str, Any]]:
    from psynote import testing as t
    from psynote.accounts.models import ApiToken, Practice

    practice = Practice.objects.get()
    accounts = []
    for n in range(1, clinicians + 1):
        user = t.make_user(practice, f"loadclin{n:03d}", password=PASSWORD)
        client = t.make_client(user, first_name=f"Loadclient{n:03d}", last_name="Fictional")
        _, token = ApiToken.issue(user=user, name="load")
        accounts.append({"username": user.username, "token": token,
                         "client_id": str(client.pk), "diagnosis": "F41.1"})
    return accounts


def _check() -> dict[str, int]:
    """Partial writes: signed notes without their note.sign event or the other way round,
    and drafts whose session is missing."""
    from psynote.audit.models import AuditEvent
    from psynote.notes.models import ProgressNote

    signed = {str(pk) for pk in ProgressNote.objects.signed().values_list("pk", flat=True)}
    events = list(AuditEvent.objects.filter(action="note.sign")
                  .values_list("target_id", flat=True))
    return {"signed notes without a note.sign event": len(signed - set(events)),
            "note.sign events without a signed note": len(set(events) - signed),
            "notes signed twice": len(events) - len(set(events))}


if __name__ == "__main__":
    import django

    django.setup()
    command = sys.argv[1]
    print(json.dumps(_prepare(int(sys.argv[2])) if command == "prepare" else _check()))
