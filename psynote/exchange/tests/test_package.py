"""Signed export packages and both verifiers: `psynote verify-export` and the standalone
script a receiving provider runs without Psynote."""

import base64
import hashlib
import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from psynote import cli
from psynote.audit.models import ChainHead
from psynote.exchange import gate, signing
from psynote.exchange.models import PracticeKey
from psynote.exchange.tests.conftest import authorize

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "verify_export.py"


@pytest.fixture
def package(record):
    """A real package: psychotherapy notes under an authorization naming them alone, from
    a Part 2 record, so it holds the note document, the notice and the README."""
    from psynote.exchange import actions

    actions.set_part2(by=record.alice, client=record.client, part2=True)
    authorization = authorize(record.alice, record.client, {"psychotherapy_notes"})
    grant = gate.authorise(
        record.alice,
        record.client,
        {"psychotherapy_notes"},
        (None, None),
        "Continuity of care",
        authorization,
    )
    return gate.export_client(record.alice, record.client, grant, "fhir-bundle")


@pytest.fixture
def zip_path(package, tmp_path):
    path = tmp_path / package.name
    path.write_bytes(package.data)
    return path


def rewrite(zip_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the package with change(name, data) -> data | None applied to each file."""
    out = zip_path.with_name("changed-" + zip_path.name)
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return out


def flip_first_byte(data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:]


def run_script(path: Path, *extra: str) -> subprocess.CompletedProcess:
    # -I: isolated, so the script cannot lean on Psynote's code from the working directory.
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_cli(path: Path, capsys, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    status = cli.main(["verify-export", str(path), *extra])
    return status, capsys.readouterr().out


def names_in(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


def test_the_standalone_script_is_the_verifier_psynote_uses():
    assert SCRIPT.read_bytes() == (ROOT / "psynote/exchange/verify.py").read_bytes()


def test_an_intact_package_verifies_with_both_verifiers(zip_path, capsys):
    result = run_script(zip_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the signature is valid" in result.stdout
    status, out = run_cli(zip_path, capsys)
    assert status == 0 and "OK" in out


def test_an_unpacked_package_folder_verifies(zip_path, tmp_path, capsys):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    assert run_script(folder).returncode == 0
    assert run_cli(folder, capsys)[0] == 0


def test_the_manifest_lists_files_signed_hashes_and_the_audit_chain_head(record, package):
    manifest = package.manifest
    paths = {entry["path"] for entry in manifest["files"]}
    assert {
        "psychotherapy-notes.json",
        "psychotherapy-notes.txt",
        "PART2-NOTICE.txt",
        "README.txt",
    } <= paths
    assert manifest["practice"]["name"] == record.cast.practice.name
    head = ChainHead.objects.get(practice_id=record.cast.practice.pk)
    # The head when the package was made: the disclosure's own event comes after it.
    assert manifest["audit_chain_head"]["seq"] == head.seq - 1
    stored = PracticeKey.objects.get(practice=record.cast.practice)
    assert base64.b64decode(manifest["signing_key"]["public_key"]) == bytes(stored.public_key)
    assert manifest["signing_key"]["fingerprint_sha256"] == signing.fingerprint(stored.public_key)


def test_a_progress_note_package_carries_the_signed_notes_hashes(record):
    if "fhir-bundle" not in gate.available_formats():
        pytest.fail("the FHIR bundle builder should exist in this checkout")
    authorization = authorize(record.alice, record.client, {"progress_notes"})
    grant = gate.authorise(
        record.alice, record.client, {"progress_notes"}, (None, None), "Care", authorization
    )
    package = gate.export_client(record.alice, record.client, grant, "fhir-bundle")
    signed = package.manifest["signed_records"]
    assert signed["progress_notes"] == {str(record.note.pk): record.note.content_hash}
    assert len(signed["addenda"]) == 1


def test_the_signature_covers_the_exact_manifest_bytes(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        manifest = archive.read("manifest.json")
        signature = base64.b64decode(archive.read("manifest.sig"))
    public = base64.b64decode(json.loads(manifest)["signing_key"]["public_key"])
    Ed25519PublicKey.from_public_bytes(public).verify(signature, manifest)


@pytest.mark.parametrize(
    "target",
    ["psychotherapy-notes.json", "psychotherapy-notes.txt", "PART2-NOTICE.txt", "README.txt"],
)
def test_one_changed_byte_in_any_file_is_named_by_both_verifiers(zip_path, target, capsys):
    changed = rewrite(
        zip_path, lambda name, data: flip_first_byte(data) if name == target else data
    )
    result = run_script(changed)
    assert result.returncode == 1
    assert f"FAILED changed: {target}" in result.stdout
    assert result.stdout.count("FAILED") == 1  # the signature and the others still hold
    status, out = run_cli(changed, capsys)
    assert status == 1 and f"changed: {target}" in out


def test_a_changed_byte_in_an_unpacked_folder_is_named(zip_path, tmp_path):
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    note = folder / "psychotherapy-notes.txt"
    note.write_bytes(note.read_bytes()[:-1] + b"!")
    result = run_script(folder)
    assert result.returncode == 1
    assert "FAILED changed: psychotherapy-notes.txt" in result.stdout


def test_a_changed_manifest_fails_the_signature(zip_path, capsys):
    def edit(name, data):  # type: ignore[no-untyped-def]
        return data.replace(b'"version":1', b'"version":2') if name == "manifest.json" else data

    changed = rewrite(zip_path, edit)
    result = run_script(changed)
    assert result.returncode == 1
    assert "FAILED signature: manifest.sig does not match manifest.json" in result.stdout
    status, out = run_cli(changed, capsys)
    assert status == 1 and "signature" in out


def test_a_file_changed_together_with_its_manifest_entry_fails_the_signature(zip_path):
    originals: dict[str, bytes] = {}
    with zipfile.ZipFile(zip_path) as archive:
        originals = {name: archive.read(name) for name in archive.namelist()}
    forged = flip_first_byte(originals["README.txt"])
    manifest = json.loads(originals["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "README.txt":
            entry["sha256"] = hashlib.sha256(forged).hexdigest()
    new_manifest = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    changed = rewrite(
        zip_path,
        lambda name, data: {"README.txt": forged, "manifest.json": new_manifest}.get(name, data),
    )
    result = run_script(changed)
    assert result.returncode == 1
    assert "FAILED signature" in result.stdout
    assert "changed: README.txt" not in result.stdout


def test_missing_and_extra_files_are_named(zip_path, tmp_path):
    changed = rewrite(zip_path, lambda name, data: None if name == "PART2-NOTICE.txt" else data)
    with zipfile.ZipFile(changed, "a") as archive:
        archive.writestr("smuggled.txt", b"not in the manifest")
    result = run_script(changed)
    assert result.returncode == 1
    assert "FAILED missing: PART2-NOTICE.txt" in result.stdout
    assert "FAILED extra: smuggled.txt" in result.stdout


def test_a_package_signed_with_another_key_fails_a_pinned_fingerprint(zip_path, record):
    right = signing.fingerprint(PracticeKey.objects.get().public_key)
    assert run_script(zip_path, "--fingerprint", signing.grouped(right)).returncode == 0
    result = run_script(zip_path, "--fingerprint", "ab" * 32)
    assert result.returncode == 1
    assert "FAILED key" in result.stdout


def test_something_that_is_not_a_package_fails(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = run_script(junk)
    assert result.returncode == 1
    assert "FAILED" in result.stdout


def test_the_signing_key_file_is_private_and_matches_the_database(package, record):
    path = signing.key_path(record.cast.practice.pk)
    assert path.stat().st_mode & 0o777 == 0o600
    assert PracticeKey.objects.filter(practice=record.cast.practice).exists()


def test_a_missing_key_file_stops_exports_instead_of_making_a_new_key(package, record):
    path = signing.key_path(record.cast.practice.pk)
    saved = path.read_bytes()
    path.unlink()
    try:
        authorization = authorize(record.alice, record.client, {"psychotherapy_notes"})
        grant = gate.authorise(
            record.alice,
            record.client,
            {"psychotherapy_notes"},
            (None, None),
            "Care",
            authorization,
        )
        with pytest.raises(gate.Refused, match="key file is missing"):
            gate.export_client(record.alice, record.client, grant, "fhir-bundle")
        assert not path.exists()
    finally:
        path.write_bytes(saved)
        path.chmod(0o600)


# Both verifiers trust nothing in the member list: a forged duplicate, a name that climbs
# out of the folder, an absolute path or a backslash is refused with a sentence, and a
# corrupt compressed stream is a FAILED line, not a traceback.


def with_extra_member(zip_path: Path, name: str, data: bytes, *, first: bool) -> Path:
    """A copy of the package with one more member, written before or after the others."""
    out = zip_path.with_name("forged-" + zip_path.name)
    with warnings.catch_warnings(), zipfile.ZipFile(zip_path) as source, \
            zipfile.ZipFile(out, "w") as target:
        warnings.simplefilter("ignore")  # zipfile warns when a name is written twice
        if first:
            target.writestr(name, data)
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        if not first:
            target.writestr(name, data)
    return out


def assert_both_refuse(path: Path, capsys, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = run_script(path)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert expected in result.stdout
    status, out = run_cli(path, capsys)
    assert status == 1 and expected in out


def test_a_forged_copy_before_the_genuine_member_is_refused(zip_path, capsys):
    with zipfile.ZipFile(zip_path) as archive:
        genuine = next(n for n in archive.namelist() if n.endswith(".json")
                       and n != "manifest.json")
    forged = with_extra_member(zip_path, genuine, b'{"forged": true}', first=True)
    assert_both_refuse(forged, capsys, "appears more than once")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../outside.txt", "climbs out"),
        ("notes/../../outside.txt", "climbs out"),
        ("/etc/outside.txt", "absolute path"),
        ("C:/outside.txt", "absolute path"),
        ("notes\\outside.txt", "backslash"),
    ],
)
def test_a_member_with_an_escaping_name_is_refused(zip_path, capsys, name, why):
    forged = with_extra_member(zip_path, name, b"x", first=False)
    assert_both_refuse(forged, capsys, why)


def test_a_member_not_in_the_manifest_is_refused(zip_path, capsys):
    forged = with_extra_member(zip_path, "extra.txt", b"x", first=False)
    assert_both_refuse(forged, capsys, "extra: extra.txt (not in the manifest)")


def test_a_corrupt_deflate_stream_is_a_failed_line_not_a_traceback(zip_path, tmp_path, capsys):
    out = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename) * 50)
    data = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as archive:
        victim = next(i for i in archive.infolist() if i.filename == "README.txt")
    # Overwrite the middle of the compressed body: the CRC and the stream no longer agree.
    start = victim.header_offset + 30 + len(victim.filename) + len(victim.extra)
    middle = start + victim.compress_size // 2
    data[middle : middle + 16] = b"\xff" * 16
    out.write_bytes(bytes(data))
    result = run_script(out)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "FAILED" in result.stdout
    status, text = run_cli(out, capsys)
    assert status == 1 and "FAILED" in text
