"""The embedded database's connection settings are in force on every connection the server
opens (ADR 0012): WAL, synchronous=FULL, a 20 s busy timeout, BEGIN IMMEDIATE."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SHOW = """
import json, sqlite3, django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    shown = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
             for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
with transaction.atomic():  # no statement yet: IMMEDIATE already holds the write lock
    try:
        other.execute("BEGIN IMMEDIATE")
        shown["another writer"] = "got the lock"
    except sqlite3.OperationalError as error:
        shown["another writer"] = str(error)
print(json.dumps(shown))
"""


def test_a_new_sqlite_connection_has_the_durability_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PSYNOTE_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "psynote.settings"}
    done = subprocess.run([sys.executable, "-c", _SHOW], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(done.stdout) == {
        "journal_mode": "wal", "synchronous": 2, "busy_timeout": 20000, "foreign_keys": 1,
        "another writer": "database is locked"}
