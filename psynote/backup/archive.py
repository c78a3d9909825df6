"""What goes into a backup, and reading it back: an uncompressed tar stream inside the
encrypted container (psynote.backup.container), members

    anchors/practice-<id>.jsonl   the audit checkpoints (copied BEFORE the database, so
                                  each one anchors a chain head the snapshot already holds)
    home/<path>                   the data folder's other files: signing keys, secret.key,
                                  database.json, the Part 2 notice, ...
    database/psynote.sqlite3      the SQLite snapshot, or database/psynote.dump (pg_dump)
    manifest.json                 last: version, engine, time, rows per table, audit chain
                                  heads, SHA-256 and size of every other member

Never the master key: its file is left out by path, and any data-folder file that holds
the key's bytes (a stray copy) is left out too, with a warning.
"""

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from psynote.backup import container, snapshot
from psynote.lib import canonical_json

FORMAT = "psynote-backup 1"
PURPOSE = "backup"
SUFFIX = ".psybak"
PREFIX = "psynote-backup-"
WORK_PREFIX = ".psynote-backup-work-"
STAGING_PREFIX = ".psynote-restore-"
_MEMBER = re.compile(r"(anchors|home|database)(/[A-Za-z0-9._@+-]+)+")
_MANIFEST_LIMIT = 64 * 1024 * 1024


@dataclass
class Made:
    path: Path
    manifest: dict[str, Any]
    skipped: list[str]


def psynote_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("psynote")
    except PackageNotFoundError:
        return "unknown"


def _master_key_forms() -> list[bytes]:
    from psynote.lib import crypto

    try:
        key = crypto.master_key()
    except crypto.MasterKeyMissing:
        return []
    return [key, base64.b64encode(key), base64.urlsafe_b64encode(key).rstrip(b"="),
            key.hex().encode()]


def _database_files() -> set[Path]:
    name = Path(str(settings.DATABASES["default"].get("NAME", "")))
    return {Path(f"{name}{suffix}").resolve() for suffix in ("", "-wal", "-shm", "-journal")}


def home_files(out_dir: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """The data folder's files to keep (path, member name), and what was left out and why."""
    home = Path(settings.HOME).resolve()
    left_out = {Path(settings.MASTER_KEY_FILE).resolve(), *_database_files()}
    skip_dirs = {Path(settings.ANCHOR_DIR).resolve(), Path(settings.STATIC_ROOT).resolve(),
                 out_dir.resolve()}
    key_forms = _master_key_forms()
    found: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for folder, dirs, files in os.walk(home):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip_dirs
                         and not d.startswith((WORK_PREFIX, STAGING_PREFIX)))
        for name in sorted(files):
            path = here / name
            if path.resolve() in left_out or path.is_symlink() or not path.is_file():
                continue
            if name.endswith((".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal")):
                # Another database file: copied raw it may be torn, and it is not the record.
                skipped.append(f"{path} (a SQLite file other than the database)")
                continue
            member = "home/" + path.relative_to(home).as_posix()
            if not _MEMBER.fullmatch(member):
                skipped.append(f"{path} (a name a backup cannot carry)")
                continue
            data = path.read_bytes()
            if any(form in data for form in key_forms):
                skipped.append(f"{path} (it holds the master key)")
                continue
            found.append((path, member))
    return found, skipped


class _Hashing:
    def __init__(self, source: BinaryIO) -> None:
        self.source, self.digest = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def _add(tar: tarfile.TarFile, member: str, path: Path, mtime: float,
         files: dict[str, dict[str, Any]]) -> None:
    info = tarfile.TarInfo(member)
    info.size, info.mode, info.mtime = path.stat().st_size, 0o600, int(mtime)
    with path.open("rb") as handle:
        hashing = _Hashing(handle)
        tar.addfile(info, hashing)
    files[member] = {"sha256": hashing.digest.hexdigest(), "size": info.size}


def make(out_dir: Path, passphrase: str) -> Made:
    """Write a new backup into `out_dir` (0600, via a .partial file renamed at the end)."""
    home = Path(settings.HOME)
    created = datetime.now(UTC)
    name = f"{PREFIX}{created:%Y%m%dT%H%M%S.%f}Z{SUFFIX}"
    final, partial = out_dir / name, out_dir / (name + ".partial")
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=home))
    try:
        anchors = work / "anchors"
        anchors.mkdir(mode=0o700)
        anchor_dir = Path(settings.ANCHOR_DIR)
        if anchor_dir.is_dir():
            for source in sorted(anchor_dir.glob("practice-*.jsonl")):
                shutil.copyfile(source, anchors / source.name)
        kept, skipped = home_files(out_dir)
        engine = snapshot.engine()
        database = work / ("psynote.dump" if engine == "postgresql" else "psynote.sqlite3")
        if engine == "postgresql":
            facts = snapshot.pg_dump(database)
        else:
            facts = snapshot.sqlite_copy(Path(settings.DATABASES["default"]["NAME"]), database)
        files: dict[str, dict[str, Any]] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = container.Writer(out, passphrase, PURPOSE)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for source in sorted(anchors.iterdir()):
                    _add(tar, f"anchors/{source.name}", source, created.timestamp(), files)
                for source, member in kept:
                    _add(tar, member, source, created.timestamp(), files)
                _add(tar, f"database/{database.name}", database, created.timestamp(), files)
                manifest = {
                    "format": FORMAT, "psynote_version": psynote_version(), "engine": engine,
                    "created": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "tables": facts.tables, "audit_heads": facts.heads, "files": files,
                    "master_key_included": False,
                }
                raw = canonical_json.dumps(manifest)
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mode, info.mtime = len(raw), 0o600, int(created.timestamp())
                tar.addfile(info, io.BytesIO(raw))
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
        directory = os.open(out_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Made(final, manifest, skipped)


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `out_dir` (0: keep all)."""
    backups = sorted(p for p in out_dir.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())
    gone = backups[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink()
    return gone


# --- reading back -----------------------------------------------------------------------


def unpack(path: Path, passphrase: str, staging: Path,
           on_member: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Decrypt and authenticate the whole backup into `staging` (a private folder) and check
    every member against the manifest; container.BadContainer when anything is wrong."""
    digests: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        source = path.open("rb")
    except OSError as error:
        raise container.BadContainer(f"{path} cannot be read ({error.strerror}).") from None
    with source:
        reader = container.Reader(source, passphrase, PURPOSE)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    manifest = _unpack_member(tar, member, staging, digests, manifest)
                    if on_member:
                        on_member(member.name)
        except tarfile.TarError:
            raise container.BadContainer("The backup opens but holds no readable archive "
                                         "(it was not written by psynote backup).") from None
        reader.drain()
    if manifest is None or manifest.get("format") != FORMAT:
        raise container.BadContainer("The backup has no manifest it can be checked against.")
    if manifest.get("files") != digests:
        raise container.BadContainer("The backup's files do not match the checksums in its "
                                     "manifest.")
    return manifest


def _unpack_member(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path,
                   digests: dict[str, dict[str, Any]], manifest: dict | None) -> dict | None:
    handle = tar.extractfile(member) if member.isfile() else None
    if handle is None:
        raise container.BadContainer(f"The backup holds an unexpected entry {member.name!r}.")
    if member.name == "manifest.json":
        if manifest is not None or member.size > _MANIFEST_LIMIT:
            raise container.BadContainer("The backup's manifest is damaged.")
        try:
            return json.loads(handle.read())
        except ValueError:
            raise container.BadContainer("The backup's manifest is damaged.") from None
    if (not _MEMBER.fullmatch(member.name) or ".." in member.name.split("/")
            or member.name in digests):
        raise container.BadContainer(f"The backup holds an unexpected entry {member.name!r}.")
    target = staging / member.name
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := handle.read(container.CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    digests[member.name] = {"sha256": digest.hexdigest(), "size": size}
    return manifest


def database_member(staging: Path, manifest: dict[str, Any]) -> Path:
    name = "psynote.dump" if manifest.get("engine") == "postgresql" else "psynote.sqlite3"
    path = staging / "database" / name
    if not path.is_file():
        raise container.BadContainer("The backup holds no database.")
    return path


def check_database(staging: Path, manifest: dict[str, Any]) -> None:
    """The contained database is whole: SQLite's integrity check and the row counts of the
    manifest, or pg_restore reading the dump's table of contents."""
    path = database_member(staging, manifest)
    if manifest.get("engine") == "postgresql":
        snapshot.pg_check_dump(path)
        return
    verdict = snapshot.sqlite_integrity(path)
    if verdict != "ok":
        raise container.BadContainer(f"The backup's database fails SQLite's integrity check "
                                     f"({verdict}).")
    if snapshot.sqlite_facts(path).tables != manifest.get("tables"):
        raise container.BadContainer("The backup's database does not hold the rows its "
                                     "manifest counts.")
