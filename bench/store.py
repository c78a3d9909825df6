"""The generated database: made once, reused while its scale matches.

SQLite: the generated file is kept as `generated.sqlite3` and copied over the working
database before every run, so each run starts from the same bytes (the audit log's
triggers refuse DELETE, and a run adds signed notes and events). PostgreSQL: the database
must be empty or one the benchmark made; a run's additions stay (about 1,100 events and
200 signed notes per run), and the report prints the counts it measured.
"""

import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection

from bench.generate import PRACTICE_NAME, Generator, Scale

# Bumped when the generated practice gains content, so an older one is rebuilt, not reused.
# 2: measure administrations and one signed treatment plan per client.
# 3: the audit chain is keyed (HMAC-SHA-256, ADR 0003).
# 4: the search index (ADR 0016), built as `psynote reindex` builds it.
CONTENT_VERSION = 4


class RefusedDatabase(Exception):
    pass


def _meta_path(home: Path) -> Path:
    return home / "generated.json"


def _read_meta(home: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_meta_path(home).read_text())
    except (OSError, ValueError):
        return None


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _forget_checkpoints() -> None:
    """The audit checkpoints belong to the database they anchored: when it is replaced by
    the pristine copy (a restore, as far as the chain can tell), they go with it."""
    from django.conf import settings

    shutil.rmtree(settings.ANCHOR_DIR, ignore_errors=True)


def prepare(home: Path, scale: Scale, *, regenerate: bool, log: Any = print) -> dict[str, Any]:
    """Make the working database hold a generated practice of `scale`; return its record."""
    wanted = asdict(scale)
    meta = _read_meta(home)
    fits = (
        meta is not None
        and meta.get("scale") == wanted
        and meta.get("content_version") == CONTENT_VERSION
        and not regenerate
    )
    if connection.vendor == "sqlite":
        working = Path(connection.settings_dict["NAME"])
        pristine = home / "generated.sqlite3"
        if fits and pristine.exists():
            _remove_sqlite(working)
            _forget_checkpoints()
            shutil.copyfile(pristine, working)
            call_command("migrate", verbosity=0)  # migrations newer than the practice
            log(f"Reusing the generated practice in {pristine} (--regenerate to rebuild)")
            return meta | {"reused": True}
        _remove_sqlite(working)
        _remove_sqlite(pristine)
        _forget_checkpoints()
        meta = _generate(home, scale, log)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(working, pristine)
        _meta_path(home).write_text(json.dumps(meta, indent=2))
        return meta | {"reused": False}

    tables = connection.introspection.table_names()
    if tables:
        from psynote.accounts.models import Practice

        ours = "accounts_practice" in tables and list(
            Practice.objects.values_list("name", flat=True)
        ) == [PRACTICE_NAME]
        if not ours:
            raise RefusedDatabase(
                "This PostgreSQL database holds data the benchmark did not generate. "
                "Give --database-url an empty database (createdb psynote_bench)."
            )
        if fits:
            call_command("migrate", verbosity=0)  # migrations newer than the practice
            log("Reusing the generated practice in this database (--regenerate to rebuild)")
            return meta | {"reused": True}
        log("Dropping the previously generated practice (schema public)")
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    _forget_checkpoints()
    meta = _generate(home, scale, log)
    _meta_path(home).write_text(json.dumps(meta, indent=2))
    return meta | {"reused": False}


def _generate(home: Path, scale: Scale, log: Any) -> dict[str, Any]:
    from psynote.audit import chain

    _meta_path(home).unlink(missing_ok=True)
    log(
        f"Generating {scale.clinicians} clinicians, {scale.clients:,} clients, "
        f"{scale.notes:,} signed notes, {scale.events:,} audit events ..."
    )
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - t0
    result = Generator(scale, log=log, measures=True).run()
    report = chain.verify_practice(result["practice_id"])
    if report.breaks or report.events != scale.events + result["plan_events"]:
        raise RuntimeError(
            f"generated chain does not verify: {report.events} events, "
            f"{[str(b) for b in report.breaks[:3]]}"
        )
    log(f"  the generated chain verifies ({report.events:,} events, no breaks)")
    return {
        "scale": asdict(scale),
        "content_version": CONTENT_VERSION,
        "practice_id": result["practice_id"],
        "events": report.events,
        "measures": result["measures"],
        "generation_seconds": round(result["seconds"] + migrate_seconds, 1),
        "steps": {k: round(v, 1) for k, v in result["steps"].items()},
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
