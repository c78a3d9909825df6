"""Putting a checked backup into an EMPTY data folder (and an empty PostgreSQL database).

Nothing is written to the data folder before the whole backup has been decrypted,
authenticated and checked against its manifest into a private staging folder inside it
(removed whatever happens). Only then are the files moved into place.
"""

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from psynote.backup import archive, container, snapshot
from psynote.lib import database_record

# Files a data folder may hold and still count as empty: the cookie secret Django's
# settings make at start-up, and the master key the operator put back first.
_ALLOWED_IN_EMPTY = {"secret.key"}


class NotEmpty(Exception):
    """The target already holds data; the message names it."""


@dataclass
class Restored:
    manifest: dict[str, Any]
    kept_anchors: list[str] = field(default_factory=list)


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def target_problem() -> str | None:
    """Why the data folder (or the PostgreSQL database) is not empty, or None."""
    home = Path(settings.HOME)
    allowed = {home / name for name in _ALLOWED_IN_EMPTY} | {Path(settings.MASTER_KEY_FILE)}
    allowed |= {Path(settings.STATIC_ROOT)}
    anchors = Path(settings.ANCHOR_DIR)
    database = _sqlite_path()
    if home.is_dir():
        for entry in sorted(home.iterdir()):
            if entry in allowed or entry.name.startswith(archive.STAGING_PREFIX):
                continue
            if entry == anchors and entry.is_dir() and not any(entry.iterdir()):
                continue
            if entry == database and entry.stat().st_size == 0:
                continue  # an empty file a first connection made
            return f"the data folder {home} is not empty (it holds {entry.name})"
    if snapshot.engine() == "postgresql":
        tables = snapshot.pg_tables()
        if tables:
            return (f"the PostgreSQL database already holds {len(tables)} table(s) "
                    f"(e.g. {sorted(tables)[0]}); restore into a new, empty database")
    return None


def restore(path: Path, passphrase: str, say: Callable[[str], None]) -> Restored:
    """Check the whole backup, then put it in place. NotEmpty or container.BadContainer
    (or snapshot.ToolMissing/ToolFailed) before anything is written."""
    problem = target_problem()
    if problem:
        raise NotEmpty(f"Restore refused: {problem}. Restore only into an empty data folder; "
                       "nothing was written.")
    home = Path(settings.HOME)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=archive.STAGING_PREFIX, dir=home))
    try:
        manifest = archive.unpack(path, passphrase, staging)
        engine = snapshot.engine()
        if manifest.get("engine") != engine:
            wanted = "PostgreSQL (set DATABASE_URL)" if manifest.get("engine") == "postgresql" \
                else "SQLite (unset DATABASE_URL)"
            raise container.BadContainer(f"This is a backup of a {manifest.get('engine')} "
                                         f"database: restore it into {wanted}.")
        archive.check_database(staging, manifest)
        say(f"Backup checked: {len(manifest['files'])} files authenticated and matching the "
            f"manifest of {manifest['created']} (Psynote {manifest['psynote_version']}).")
        return _place(staging, manifest, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place(staging: Path, manifest: dict[str, Any], home: Path) -> Restored:
    restored = Restored(manifest)
    if (staging / "home").is_dir():
        for source in sorted((staging / "home").rglob("*")):
            relative = source.relative_to(staging / "home")
            if source.is_dir() or relative.as_posix() == database_record.FILENAME:
                continue  # database.json is written for this installation's database below
            target = home / relative
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(source, target)  # secret.key replaces the one start-up just made
    anchor_dir = Path(settings.ANCHOR_DIR)
    if (staging / "anchors").is_dir():
        anchor_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for source in sorted((staging / "anchors").iterdir()):
            target = anchor_dir / source.name
            if target.exists():  # checkpoints kept on another volume: they are the truth
                restored.kept_anchors.append(str(target))
                continue
            shutil.copyfile(source, target)
            target.chmod(0o600)
    database = archive.database_member(staging, manifest)
    if manifest["engine"] == "postgresql":
        snapshot.pg_restore(database)
    else:
        target = _sqlite_path()
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(database, target)
    database_record.write(home, settings.DATABASES["default"])
    return restored
