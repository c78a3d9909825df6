"""`psynote backup` and `restore`: encrypted online backups of the whole installation
(database, signing keys, audit checkpoints; never the master key) and putting one back
into an empty data folder (docs/adr/0011-backups.md)."""

import argparse
import base64
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from psynote.cli.base import Refused, say

DEFAULT_KEEP = 14
MIN_PASSPHRASE = 12
ESCROW_PURPOSE = "master-key-escrow"


def _secret(kind: str, variable: str, *, new: bool) -> str:
    """A passphrase from VARIABLE_FILE, VARIABLE or the terminal: never from the command
    line, where every local user can read it."""
    if os.environ.get(f"{variable}_FILE"):
        path = Path(os.environ[f"{variable}_FILE"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise Refused(f"{variable}_FILE={path} cannot be read ({error}).") from None
        value = lines[0] if lines else ""
    elif os.environ.get(variable):
        value = os.environ[variable]
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{kind} passphrase: ")
        if new and getpass.getpass("Again: ") != value:
            raise Refused("The two passphrases differ.")
    else:
        raise Refused(f"No {kind} passphrase: set {variable}_FILE (a file, mode 0600, whose "
                      f"first line is the passphrase) or {variable}, or run on a terminal.")
    if new and len(value) < MIN_PASSPHRASE:
        raise Refused(f"The {kind} passphrase must have at least {MIN_PASSPHRASE} characters.")
    if not value:
        raise Refused(f"The {kind} passphrase is empty.")
    return value


def _backup_passphrase(*, new: bool) -> str:
    return _secret("backup", "PSYNOTE_BACKUP_PASSPHRASE", new=new)


def _out_dir(args: argparse.Namespace) -> Path:
    from django.conf import settings

    raw = args.out or os.environ.get("PSYNOTE_BACKUP_DIR") or str(Path(settings.HOME) / "backups")
    out = Path(raw).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise Refused(f"--out {out} is not a folder.")
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise Refused(f"The backup folder {out} cannot be made ({error.strerror}).") from None
    if not os.access(out, os.W_OK):
        raise Refused(f"The backup folder {out} cannot be written.")
    return out


def _check_escrow_target(args: argparse.Namespace, out: Path) -> Path | None:
    if not args.escrow_master_key:
        return None
    escrow = Path(args.escrow_master_key).expanduser().resolve()
    if escrow.exists():
        raise Refused(f"{escrow} exists already: the escrow file is never overwritten.")
    if escrow.parent == out:
        raise Refused("Keep the master-key escrow file apart from the backups: choose a "
                      "folder other than the backup folder.")
    return escrow


def _write_escrow(escrow: Path, backup_passphrase: str) -> None:
    from psynote.backup import container
    from psynote.lib import canonical_json, crypto

    passphrase = _secret("escrow", "PSYNOTE_ESCROW_PASSPHRASE", new=True)
    if passphrase == backup_passphrase:
        raise Refused("The escrow passphrase must differ from the backup passphrase.")
    document = canonical_json.dumps({"master_key": base64.b64encode(crypto.master_key())
                                     .decode()})
    fd = os.open(escrow, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        writer = container.Writer(out, passphrase, ESCROW_PURPOSE)
        writer.write(document)
        writer.close()
    say(f"MASTER KEY ESCROW written: {escrow} (mode 0600). It holds the master key, encrypted "
        "with the escrow passphrase: keep it and that passphrase apart from the backups.")


def cmd_backup(args: argparse.Namespace) -> int:
    from psynote.backup import archive, container, snapshot

    if args.keep < 0:
        raise Refused("--keep must be 0 (keep every backup) or more.")
    if args.check:
        return _check(Path(args.check))
    out = _out_dir(args)
    escrow = _check_escrow_target(args, out)
    passphrase = _backup_passphrase(new=True)
    try:
        made = archive.make(out, passphrase)
    except (snapshot.ToolMissing, snapshot.ToolFailed, container.BadContainer) as error:
        raise Refused(f"No backup written: {error}") from None
    except OSError as error:
        raise Refused(f"No backup written: {error.filename or out} ({error.strerror}).") from None
    manifest = made.manifest
    say(f"Backup written: {made.path} ({made.path.stat().st_size:,} bytes, "
        f"{manifest['engine']}, {len(manifest['files'])} files; the master key is NOT in it).")
    _say_facts(manifest)
    for line in made.skipped:
        say(f"  WARNING: left out {line}")
    if escrow is not None:
        _write_escrow(escrow, passphrase)
    for path in archive.prune(out, args.keep):
        say(f"Removed an older backup: {path.name} (keeping the newest {args.keep}).")
    return 0


def _say_facts(manifest: dict) -> None:
    tables = manifest.get("tables", {})
    say(f"  rows: {sum(tables.values()):,} in {len(tables)} tables")
    for practice, head in sorted(manifest.get("audit_heads", {}).items()):
        say(f"  audit chain of practice {practice}: {head['seq']:,} events, head {head['head']}")


def _check(path: Path) -> int:
    from django.conf import settings

    from psynote.backup import archive, container, snapshot

    passphrase = _backup_passphrase(new=False)
    work = Path(tempfile.mkdtemp(prefix=archive.STAGING_PREFIX, dir=Path(settings.HOME)))
    try:
        manifest = archive.unpack(path, passphrase, work)
        archive.check_database(work, manifest)
    except container.BadContainer as error:
        raise Refused(f"BAD: {error}", status=1) from None
    except (snapshot.ToolMissing, snapshot.ToolFailed) as error:
        raise Refused(f"The backup's database was not checked: {error}", status=2) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"OK: {path} opens, every chunk authenticates, its {len(manifest['files'])} files "
        f"match the manifest and its {manifest['engine']} database passes its integrity check.")
    say(f"  made {manifest['created']} by Psynote {manifest['psynote_version']}")
    _say_facts(manifest)
    return 0


def _read_escrow(path: Path) -> bytes:
    import json

    from psynote.backup import container

    passphrase = _secret("escrow", "PSYNOTE_ESCROW_PASSPHRASE", new=False)
    try:
        with path.open("rb") as source:
            reader = container.Reader(source, passphrase, ESCROW_PURPOSE)
            document = json.loads(reader.read(container.CHUNK))
            reader.drain()
        key = base64.b64decode(document["master_key"], validate=True)
    except OSError as error:
        raise Refused(f"{path} cannot be read ({error.strerror}).") from None
    except container.BadContainer as error:
        raise Refused(f"Nothing restored: the escrow file does not open: {error}",
                      status=1) from None
    except (ValueError, KeyError, TypeError):
        raise Refused("Nothing restored: the escrow file holds no master key.", status=1) from None
    return key


def _master_key_ready(args: argparse.Namespace) -> bytes | None:
    """The escrowed key to write once the backup checks out, or None when the installation
    already has its key; refuses before anything is written."""
    from django.conf import settings

    from psynote.lib import crypto

    if args.master_key_escrow:
        if os.environ.get("PSYNOTE_MASTER_KEY") or Path(settings.MASTER_KEY_FILE).exists():
            raise Refused("A master key is already in place: --master-key-escrow is only for "
                          "an installation without one.")
        return _read_escrow(Path(args.master_key_escrow))
    try:
        crypto.master_key()
    except crypto.MasterKeyMissing as error:
        raise Refused(f"Nothing restored: {error} (or give --master-key-escrow FILE).") from None
    return None


def cmd_restore(args: argparse.Namespace) -> int:
    from django.conf import settings

    from psynote.backup import container, restore, snapshot
    from psynote.cli.records import cmd_verify
    from psynote.lib import crypto, keyfiles

    source = Path(args.file).expanduser()
    if not source.is_file():
        raise Refused(f"{source} is not a file.")
    problem = restore.target_problem()
    if problem:
        raise Refused(f"Restore refused: {problem}; nothing was written.")
    escrowed = _master_key_ready(args)
    passphrase = _backup_passphrase(new=False)
    try:
        done = restore.restore(source, passphrase, say)
    except restore.NotEmpty as error:
        raise Refused(str(error)) from None
    except container.BadContainer as error:
        raise Refused(f"Nothing restored: {error}", status=1) from None
    except (snapshot.ToolMissing, snapshot.ToolFailed) as error:
        raise Refused(f"Restore failed: {error}") from None
    if escrowed is not None:
        keyfiles.write_new(Path(settings.MASTER_KEY_FILE), base64.b64encode(escrowed) + b"\n")
        crypto.master_key.cache_clear()
        say(f"Master key restored from the escrow file into {settings.MASTER_KEY_FILE}.")
    for path in done.kept_anchors:
        say(f"Kept the existing audit checkpoints {path} (not overwritten by the backup's).")
    return _compare_and_verify(done.manifest, cmd_verify)


def _compare_and_verify(manifest: dict, verify: Callable[[argparse.Namespace], int]) -> int:
    from psynote.backup import snapshot

    facts = snapshot.live_facts()
    say("Restored rows (table: rows):")
    for table, count in sorted(facts.tables.items()):
        if count:
            say(f"  {table}: {count:,}")
    differ = [t for t in manifest["tables"] if facts.tables.get(t) != manifest["tables"][t]]
    if differ or facts.heads != manifest["audit_heads"]:
        say(f"BROKEN: the restored database differs from the backup's manifest "
            f"({', '.join(differ) or 'audit chain heads'}).")
        return 1
    _say_facts(manifest)
    say("Checking the restored record as `psynote verify` does:")
    status = verify(argparse.Namespace())
    if status == 0:
        say("Restored. Next: `psynote init` (migrations if this code is newer, static "
            "files), then `psynote serve`.")
    return status
