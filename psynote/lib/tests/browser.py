"""For browser tests: the real WSGI server (gunicorn) on a database of its own, and Debian's
Chromium driven by Playwright (never Playwright's own browser download)."""

import base64
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
# Headless as root, and no background calls to a network this machine does not reach.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_env(name: str) -> tuple[dict[str, str], Any]:
    """Its own database: a fresh SQLite file, or a new database on the test PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return {}, None
    import psycopg

    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    return {"DATABASE_URL": urlparse(url)._replace(path=f"/{name}").geturl()}, admin


@contextmanager
def serve(setup: str) -> Iterator[str]:
    """Migrate a fresh database, run `setup` (Python) in it, serve it; yield the base URL."""
    home = tempfile.mkdtemp(prefix="psynote-browser-")
    db_name = f"psynote_browser_{secrets.token_hex(4)}"
    db_env, admin = _database_env(db_name)
    env = {
        **os.environ,
        **db_env,
        "PSYNOTE_HOME": home,
        "PSYNOTE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PSYNOTE_FAST_HASHER": "1",
        "DJANGO_SETTINGS_MODULE": "psynote.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, cwd=ROOT)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "psynote.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--no-control-socket"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            admin.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()
