"""The package key of a practice move, and the master-key material it carries (ADR 0010).

Every file of a move package except its manifest is sealed (AES-256-GCM) under the package
key, with associated data naming the file, so the package holds nothing in clear. The key
comes from a passphrase the operator gives (Argon2id, RFC 9106, its salt and costs in the
manifest) or from a key file of 32 random bytes (HKDF-SHA-256). The passphrase is read
from a file, the environment or a terminal prompt, never from the command line, where
other local users could see it.
"""

import base64
import binascii
import os
from pathlib import Path
from typing import Any

from django.conf import settings

from psynote.audit import chain
from psynote.lib import crypto, kdf, keyfiles
from psynote.transfer.tables import MASTER_WRAPPED

PASSPHRASE_ENV = "PSYNOTE_PACKAGE_PASSPHRASE"  # noqa: S105 - a variable name
MIN_PASSPHRASE = 12
_INFO = b"psynote/v1/practice-move/key-file"


class KeyProblem(Exception):
    """The package key cannot be had, or does not open the package."""


def new_key_file(path: Path) -> None:
    keyfiles.write_new(path, base64.b64encode(crypto.new_key()) + b"\n")


def _key_file_secret(path: Path) -> bytes:
    try:
        secret = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, binascii.Error) as error:
        raise KeyProblem(f"The package key file {path} cannot be read: {error}") from None
    if len(secret) != 32:
        raise KeyProblem(f"{path} is not a package key file (32 bytes, base64).")
    return secret


def describe_new(passphrase: str | None, key_file: Path | None) -> tuple[bytes, dict[str, str]]:
    """A package key for a new package, and what the manifest says about how to make it
    again (never the key itself)."""
    salt = kdf.new_salt()
    if key_file is not None:
        if not key_file.exists():
            new_key_file(key_file)
        recipe = {"kdf": "key-file", "salt": base64.b64encode(salt).decode()}
    else:
        if not passphrase or len(passphrase) < MIN_PASSPHRASE:
            raise KeyProblem(f"The package passphrase must have at least {MIN_PASSPHRASE} "
                             "characters.")
        params = kdf.Argon2Params(**settings.PSYCHOTHERAPY_KDF)
        recipe = {"kdf": params.encode(), "salt": base64.b64encode(salt).decode()}
    return package_key(recipe, passphrase, key_file), recipe


def package_key(recipe: dict[str, str], passphrase: str | None, key_file: Path | None) -> bytes:
    try:
        salt = base64.b64decode(recipe["salt"], validate=True)
        how = recipe["kdf"]
    except (KeyError, TypeError, binascii.Error):
        raise KeyProblem("The package's manifest does not say how its key is made.") from None
    if how == "key-file":
        if key_file is None:
            raise KeyProblem("This package was sealed with a key file: give it with --key-file.")
        return kdf.from_random_secret(_key_file_secret(key_file), salt, _INFO)
    if not passphrase:
        raise KeyProblem("This package was sealed with a passphrase: give it with "
                         f"--passphrase-file, {PASSPHRASE_ENV} or at the prompt.")
    try:
        params = kdf.Argon2Params.decode(how)
    except ValueError:
        raise KeyProblem("The package's manifest names an unknown key derivation.") from None
    # Anyone can sign a package: its costs must not make this server spend minutes or
    # gigabytes before the passphrase is even checked.
    if params.memory_cost > 1024 * 1024 or params.time_cost > 16 or params.parallelism > 16:
        raise KeyProblem("The package's manifest asks for key-derivation costs beyond any "
                         "Psynote makes.")
    return kdf.from_password(passphrase, salt, params)


def seal_file(key: bytes, name: str, data: bytes) -> bytes:
    return crypto.seal(key, data, b"psynote-practice-move:" + name.encode())


def open_file(key: bytes, name: str, data: bytes) -> bytes:
    return crypto.open_sealed(key, data, b"psynote-practice-move:" + name.encode())


def read_passphrase(passphrase_file: str | None, *, confirm: bool) -> str | None:
    """From --passphrase-file, else PSYNOTE_PACKAGE_PASSPHRASE, else a terminal prompt."""
    if passphrase_file:
        try:
            return Path(passphrase_file).read_text().rstrip("\n")
        except OSError as error:
            raise KeyProblem(f"The passphrase file cannot be read: {error}") from None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    import getpass
    import sys

    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Package passphrase: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise KeyProblem("The two passphrases differ.")
    return first


# --- the master-key material, out of the rows and back in --------------------------------


def _wrapped_columns(table: str) -> list[tuple[str, str, str]]:
    if table == "audit_chainhead":  # the chain key: a missing one is derived (audit.chain)
        return [("key_wrapped", "chain_key", "practice_id")]
    return [(col, field, id_col) for t, col, field, id_col in MASTER_WRAPPED if t == table]


def take_out(tables: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, str]]]:
    """Open every master-wrapped value of the dumped `tables` with this installation's
    master key, in place: the row keeps None, the returned {table: {column: {row: value}}}
    the opened value (base64), to be carried under the package key."""
    taken: dict[str, dict[str, dict[str, str]]] = {}
    for table, dumped in tables.items():
        for column, field, id_col in _wrapped_columns(table):
            at, id_at = dumped["columns"].index(column), dumped["columns"].index(id_col)
            out = taken.setdefault(table, {}).setdefault(column, {})
            for row in dumped["rows"]:
                wrapped = base64.b64decode(row[at] or "")
                if table == "audit_chainhead":
                    inner = chain.chain_key(int(row[id_at]), wrapped)
                elif not wrapped or wrapped == b"shredded":  # clients.models.SHREDDED_KEY
                    continue
                else:
                    inner = crypto.unwrap(wrapped, crypto.aad_for(table, row[id_at], field))
                out[str(row[id_at])] = base64.b64encode(inner).decode()
                row[at] = None
    return taken


def put_back(tables: dict[str, dict[str, Any]], taken: dict[str, Any]) -> None:
    """Wrap the carried values under this installation's master key, into their rows."""
    for table, dumped in tables.items():
        for column, field, id_col in _wrapped_columns(table):
            at, id_at = dumped["columns"].index(column), dumped["columns"].index(id_col)
            values = taken.get(table, {}).get(column, {})
            for row in dumped["rows"]:
                if row[at] is not None:
                    continue
                inner = values.get(str(row[id_at]))
                if inner is None:
                    raise KeyProblem(f"The package lacks the key of {table} row {row[id_at]}.")
                aad = (chain.chain_key_aad(int(row[id_at])) if table == "audit_chainhead"
                       else crypto.aad_for(table, row[id_at], field))
                row[at] = base64.b64encode(crypto.wrap(base64.b64decode(inner), aad)).decode()
