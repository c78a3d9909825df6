"""The practice's Ed25519 key files (psynote.lib.signing_keys)."""

import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from psynote.lib import signing_keys


def test_a_new_key_file_is_private_and_loads(tmp_path):
    path = tmp_path / "key.pem"

    signing_keys.create(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(signing_keys.load(path), Ed25519PrivateKey)


def test_creating_never_replaces_an_existing_key(tmp_path):
    path = tmp_path / "key.pem"
    signing_keys.create(path)
    first = path.read_bytes()

    signing_keys.create(path)

    assert path.read_bytes() == first


def test_an_unreadable_key_file_is_a_clear_problem(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("not a key")

    with pytest.raises(signing_keys.SigningKeyProblem, match="cannot be read"):
        signing_keys.load(path)
    with pytest.raises(signing_keys.SigningKeyProblem, match="cannot be read"):
        signing_keys.load(tmp_path / "missing.pem")


def test_the_fingerprint_is_the_sha256_of_the_raw_public_key():
    private = Ed25519PrivateKey.generate()
    public = signing_keys.raw_public(private)

    assert len(public) == 32
    assert len(signing_keys.fingerprint(public)) == 64
    assert signing_keys.fingerprint(public) != signing_keys.fingerprint(bytes(32))


def test_the_key_file_lives_in_the_data_folder(settings, tmp_path):
    settings.HOME = tmp_path

    assert signing_keys.key_path(7) == tmp_path / "export-signing-practice-7.pem"
