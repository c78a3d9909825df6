"""`python -m bench --backup`: time `psynote backup`, `psynote backup --check` and
`psynote restore` of the generated practice, each as the operator runs it (a separate
process, production scrypt cost), and print the figures beside the 72-hour restore that
the proposed HIPAA Security Rule would ask for (2025 NPRM, proposed 45 CFR
164.308(a)(13)). Restore includes its `psynote verify` of every chain and signed note.

The restore goes into a new data folder under the bench folder (SQLite) or a new database
`<bench database>_restore` on the same server (PostgreSQL), made empty before each run.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PASSPHRASE = "fictional bench backup passphrase"  # noqa: S105 - fictional data only
RESTORE_LIMIT_HOURS = 72


def _psynote(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "psynote.cli", *args], env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=RESTORE_LIMIT_HOURS * 3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"psynote {args[0]} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def _restore_database(database_url: str) -> dict[str, str]:
    if not database_url:
        return {}
    import psycopg

    parts = urlsplit(database_url)
    name = (parts.path.strip("/") or "postgres") + "_restore"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return {"DATABASE_URL": parts._replace(path=f"/{name}").geturl()}


def run(home: Path, env: dict[str, str], database_url: str, say: Any = print) -> dict[str, Any]:
    work = home / "backup-bench"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    env = dict(env) | {"PSYNOTE_BACKUP_PASSPHRASE": PASSPHRASE}
    database = home / "psynote.sqlite3"
    say("Backup, check and restore of the generated practice (docs/benchmarks.md):")
    backup_s = _psynote(env, "backup", "--out", str(work / "backups"), "--keep", "1")
    (backup,) = (work / "backups").glob("psynote-backup-*.psybak")
    check_s = _psynote(env, "backup", "--check", str(backup))
    target = work / "restored"
    target.mkdir(mode=0o700)
    shutil.copyfile(home / "master.key", target / "master.key")
    (target / "master.key").chmod(0o600)
    restored_env = env | {"PSYNOTE_HOME": str(target)} | _restore_database(database_url)
    restore_s = _psynote(restored_env, "restore", str(backup))
    figures = {
        "database_bytes": database.stat().st_size if not database_url else None,
        "backup_bytes": backup.stat().st_size,
        "backup_seconds": round(backup_s, 1),
        "check_seconds": round(check_s, 1),
        "restore_seconds": round(restore_s, 1),
    }
    size = figures["backup_bytes"] / 1024 / 1024
    say(f"  backup file: {size:,.0f} MiB"
        + (f" (database {figures['database_bytes'] / 1024 / 1024:,.0f} MiB)"
           if figures["database_bytes"] else ""))
    say(f"  psynote backup          {backup_s:8.1f} s  ({size / backup_s:,.0f} MiB/s)")
    say(f"  psynote backup --check  {check_s:8.1f} s  ({size / check_s:,.0f} MiB/s)")
    say(f"  psynote restore         {restore_s:8.1f} s  (includes psynote verify)")
    share = restore_s / (RESTORE_LIMIT_HOURS * 3600)
    say(f"  restore vs the proposed 72-hour restore: {share:.5%} of it "
        f"({'PASS' if share < 1 else 'MISS'}; the copy off-site and the operator's hands "
        "are the real budget)")
    shutil.rmtree(work, ignore_errors=True)  # a decrypted copy of the practice
    return figures
