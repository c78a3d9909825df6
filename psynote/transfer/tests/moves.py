"""Test support for practice moves: a fresh SQLite installation in a subprocess, reading a
package back, and re-packing one (as someone holding its passphrase and signing key could)."""

import base64
import hashlib
import io
import json
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from psynote.exchange.verify import MANIFEST, SIGNATURE
from psynote.lib import canonical_json
from psynote.lib.tests.at_rest import ROOT, data_folder
from psynote.transfer import keys, pack, unpack
from psynote.transfer.tests.fixture import PASSPHRASE

# Runs in a new SQLite data folder with its own master key: `init`, then what argv says.
SCRIPT = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
from psynote.cli import main
assert main(["init"]) == 0, "init"
mode, package, again, report = sys.argv[1:5]
flags = ["--passphrase-file", os.environ["MOVE_PASSPHRASE_FILE"]]
from psynote.transfer.tests import fixture
if mode == "make":
    fixture.full_practice()
else:
    assert main(["import-practice", package, *flags]) == 0, "import"
assert main(["verify"]) == 0, "verify"
from psynote.accounts import mfa
from psynote.accounts.models import TotpDevice
from psynote.demo import PASSWORD
from psynote.notes.models import PsychotherapyKey
opens = [bool(k.open_with_password(PASSWORD)) for k in PsychotherapyKey.objects.all()]
mfa.open_secret(TotpDevice.objects.get())
with open(report, "w") as out:
    json.dump({"texts": fixture.opened_texts(), "psychotherapy_keys_open": opens}, out)
assert main(["export-practice", again, *flags]) == 0, "export"
"""


def in_fresh_sqlite(tmp_path: Path, mode: str, package: Path, again: Path) -> dict[str, Any]:
    """Run SCRIPT in a new SQLite data folder: "make" the full practice and export it to
    `again`, or "import" `package`, verify, and export again to `again`."""
    (tmp_path / f"sqlite-{mode}").mkdir()
    home, env = data_folder(tmp_path / f"sqlite-{mode}")
    passphrase_file = tmp_path / f"passphrase-{mode}"
    passphrase_file.write_text(PASSPHRASE)
    env |= {
        "PSYNOTE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PSYNOTE_FAST_HASHER": "1",
        "MOVE_PASSPHRASE_FILE": str(passphrase_file),
    }
    report = tmp_path / f"report-{mode}.json"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, str(package), str(again), str(report)],
        cwd=ROOT, env=env, capture_output=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:] + done.stdout.decode()[-2000:]
    return json.loads(report.read_text())


def read(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return unpack.read(path, passphrase=PASSPHRASE, key_file=None)


def assert_same_record(first: Path, second: Path, *, events_added: int) -> None:
    """Every table of `second` is `first`'s, row for row and byte for byte; the audit log
    goes on from `first`'s head with `events_added` events (the move's own)."""
    manifest_a, secrets_a, tables_a = read(first)
    manifest_b, secrets_b, tables_b = read(second)
    assert set(tables_a) == set(tables_b)
    for table in tables_a:
        if table in ("audit_auditevent", "audit_chainhead"):
            continue
        assert tables_a[table] == tables_b[table], table
    events_a, events_b = tables_a["audit_auditevent"], tables_b["audit_auditevent"]
    assert events_b["rows"][: len(events_a["rows"])] == events_a["rows"]
    assert len(events_b["rows"]) == len(events_a["rows"]) + events_added
    head_a, head_b = manifest_a["audit_chain_head"], manifest_b["audit_chain_head"]
    assert head_b["seq"] == head_a["seq"] + events_added
    hashes = dict(zip(events_b["columns"], zip(*events_b["rows"], strict=True), strict=True))
    seq_at = list(hashes["seq"]).index(head_a["seq"])
    assert base64.b64decode(hashes["hash"][seq_at]).hex() == head_a["hash"]
    # The same client keys, second factors, psychotherapy-key wrappings, chain key and
    # signing key, though each side wrapped them under its own master key.
    assert secrets_a["master_wrapped"] == secrets_b["master_wrapped"]
    assert secrets_a["signing_key_pem"] == secrets_b["signing_key_pem"]
    assert manifest_a["move"]["counts"] | {
        "audit_auditevent": manifest_a["move"]["counts"]["audit_auditevent"] + events_added
    } == manifest_b["move"]["counts"]


def repack(path: Path, change: Callable[[dict[str, Any]], None], out: Path) -> None:
    """The package with its tables changed by `change`, sealed and signed again with the
    package's own keys: what a bug, or someone holding both, could produce."""
    manifest, secret, tables = read(path)
    change(tables)
    key = keys.package_key(manifest["move"]["key"], PASSPHRASE, None)
    files = {pack.table_path(t): keys.seal_file(key, pack.table_path(t),
                                                canonical_json.dumps(d))
             for t, d in tables.items()}
    secret["files"] = {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items())}
    files[pack.SECRETS] = keys.seal_file(key, pack.SECRETS, canonical_json.dumps(secret))
    with zipfile.ZipFile(path) as original:
        files["README.txt"] = original.read("README.txt")
    manifest["files"] = [{"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                         for p, b in sorted(files.items())]
    private = serialization.load_pem_private_key(secret["signing_key_pem"].encode(), None)
    _zip(files, manifest, private, out)


def resign(path: Path, member: str, out: Path) -> None:
    """The package with one byte of `member` flipped and signed again with a new key of
    the forger's own: the signature holds, and the forger never had the package key."""
    with zipfile.ZipFile(path) as original:
        files = {n: original.read(n) for n in original.namelist()}
        manifest = json.loads(files.pop(MANIFEST))
        files.pop(SIGNATURE)
    files[member] = files[member][:-1] + bytes([files[member][-1] ^ 1])
    manifest["files"] = [{"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                         for p, b in sorted(files.items())]
    private = Ed25519PrivateKey.generate()
    manifest["signing_key"]["public_key"] = base64.b64encode(
        private.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)).decode()
    _zip(files, manifest, private, out)


def _zip(files: dict[str, bytes], manifest: dict[str, Any], private: Any, out: Path) -> None:
    manifest_bytes = canonical_json.dumps(manifest)
    signature = base64.b64encode(private.sign(manifest_bytes)) + b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in [*sorted(files.items()), (MANIFEST, manifest_bytes),
                           (SIGNATURE, signature)]:
            archive.writestr(name, body)
    out.write_bytes(buffer.getvalue())
