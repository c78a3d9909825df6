"""The real HTTP stack: gunicorn serving psynote.wsgi on a loopback port, and a small
cookie-keeping client that logs in the way a browser does (CSRF token, session cookie)."""

import http.client
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The production server with 2 sync workers: `psynote serve` when the CLI has it,
    else the `gunicorn psynote.wsgi` it wraps."""

    def __init__(self, env: dict[str, str], log_file: Path, workers: int = 2) -> None:
        self.env, self.log_file, self.workers = env, log_file, workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.command = self._command()

    def _command(self) -> list[str]:
        bind = f"127.0.0.1:{self.port}"
        if importlib.util.find_spec("psynote.cli") is not None:
            from psynote import cli

            if hasattr(cli, "cmd_serve"):
                from django.core.management import call_command

                call_command("collectstatic", interactive=False, verbosity=0)  # serve needs it
                return [
                    sys.executable,
                    "-m",
                    "psynote.cli",
                    "serve",
                    "--bind",
                    bind,
                    "--workers",
                    str(self.workers),
                ]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "psynote.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            bind,
            "--error-logfile",
            "-",
        ]

    def __enter__(self) -> "Server":
        with self.log_file.open("ab") as log:
            # A fixed argv of our own: no shell, no outside input.
            self.process = subprocess.Popen(  # noqa: S603
                self.command, cwd=REPO, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_file}")
            try:
                status, _, _ = Browser(self.port).request("GET", "/login/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within 60 s; see {self.log_file}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn stops its own workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's workers have used so far. On a shared
        machine wall-clock latency includes waiting for a core; CPU time does not."""
        if self.process is None:
            return 0.0
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid:  # a worker: its parent is the master
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


class Browser:
    """Keeps cookies like a browser. Gunicorn's sync workers close each connection, so
    http.client reconnects per request, as a browser would to this server."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.connection.close()  # the server closed a kept connection: retry once
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    @property
    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def login(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/login/")
        found = _CSRF_FIELD.search(page)
        if status != 200 or not found:
            raise RuntimeError(f"login page: status {status}, no CSRF field")
        status, headers, page = self.request(
            "POST",
            "/login/",
            {
                "csrfmiddlewaretoken": found.group(1).decode(),
                "username": username,
                "password": password,
                "next": "",
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: status {status}")

    def post(
        self, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, {"csrfmiddlewaretoken": self.csrf_token, **(form or {})})


def time_gets(env: dict[str, str], log_path: Path, username: str, password: str,
              urls: list[str], count: int, failures: list[str], *, warm_up: int = 10,
              check: Callable[[str, bytes], str] | None = None,
              ) -> list[tuple[list[float], float]]:
    """On a fresh server, signed in as `username`: each URL warmed up, then `count` timed
    GETs of it in turn. Per URL, the latencies and the server's CPU seconds; a non-200,
    or a body `check` finds fault with (its reason), goes into `failures`."""
    with Server(env, log_path) as server:
        browser = Browser(server.port)
        browser.login(username, password)

        def get(url: str) -> None:
            status, _headers, body = browser.request("GET", url)
            if status != 200:
                failures.append(f"GET {url}: status {status}")
            elif check and (fault := check(url, body)):
                failures.append(f"GET {url}: {fault}")

        for url in urls:
            for _ in range(warm_up):
                get(url)
        timed = []
        for url in urls:
            cpu = server.cpu_seconds()
            samples = []
            for _ in range(count):
                t0 = time.perf_counter()
                get(url)
                samples.append(time.perf_counter() - t0)
            timed.append((samples, server.cpu_seconds() - cpu))
    return timed


def server_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ) | base
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env
