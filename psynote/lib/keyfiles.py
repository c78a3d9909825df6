"""Secrets kept as files in the data folder, readable by the owner only (mode 0600)."""

import contextlib
import os
import secrets
from pathlib import Path


def write_new(path: Path, data: bytes) -> None:
    """Create `path` with `data`, refusing to overwrite: a lost key means lost records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def read_or_create_text(path: Path) -> str:
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            write_new(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()
