"""AES-256-GCM envelope encryption (psynote.lib.crypto)."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psynote.lib import crypto

KEY = bytes(range(32))
AAD = crypto.aad_for("notes_progressnote", "row-1", "content")


@given(plaintext=st.binary(max_size=5000), aad=st.binary(max_size=100))
def test_what_is_sealed_opens_again(plaintext, aad):
    assert crypto.open_sealed(KEY, crypto.seal(KEY, plaintext, aad), aad) == plaintext


@given(plaintext=st.binary(min_size=1, max_size=500), position=st.integers(min_value=0))
def test_any_flipped_bit_is_refused(plaintext, position):
    blob = bytearray(crypto.seal(KEY, plaintext, AAD))
    position %= len(blob) * 8
    blob[position // 8] ^= 1 << (position % 8)
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(KEY, bytes(blob), AAD)


def test_another_row_or_field_does_not_open_the_ciphertext():
    blob = crypto.seal(KEY, b"text", AAD)
    for other in (
        crypto.aad_for("notes_progressnote", "row-2", "content"),
        crypto.aad_for("notes_progressnote", "row-1", "risk"),
        crypto.aad_for("notes_addendum", "row-1", "content"),
    ):
        with pytest.raises(crypto.DecryptionError, match="does not authenticate"):
            crypto.open_sealed(KEY, blob, other)


def test_another_key_does_not_open_the_ciphertext():
    blob = crypto.seal(KEY, b"text", AAD)
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(crypto.new_key(), blob, AAD)


def test_each_seal_uses_a_fresh_nonce():
    assert crypto.seal(KEY, b"same", AAD) != crypto.seal(KEY, b"same", AAD)


def test_the_plaintext_does_not_appear_in_the_ciphertext():
    assert b"ZEBRA-marker" not in crypto.seal(KEY, b"ZEBRA-marker" * 10, AAD)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02" + bytes(40), b"\x01" + bytes(27)])
def test_something_that_is_not_our_ciphertext_is_refused(blob):
    with pytest.raises(crypto.DecryptionError, match="not a Psynote ciphertext"):
        crypto.open_sealed(KEY, blob, AAD)


def test_memoryview_from_the_database_opens_like_bytes():
    blob = crypto.seal(KEY, b"text", AAD)
    assert crypto.open_sealed(KEY, memoryview(blob), AAD) == b"text"


def test_new_keys_are_256_bit_and_distinct():
    first, second = crypto.new_key(), crypto.new_key()
    assert len(first) == len(second) == 32 and first != second


def test_aad_names_table_row_and_field():
    assert crypto.aad_for("clients_client", 7, "data_key") == b"clients_client:7:data_key"


def test_a_data_key_wrapped_by_the_master_key_unwraps_for_its_owner_only():
    data_key = crypto.new_key()
    aad = crypto.aad_for("clients_client", "a", "data_key")
    wrapped = crypto.wrap(data_key, aad)

    assert data_key not in wrapped
    assert crypto.unwrap(wrapped, aad) == data_key
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(wrapped, crypto.aad_for("clients_client", "b", "data_key"))


@pytest.fixture
def master_env(monkeypatch, settings, tmp_path):
    """A blank slate for the master key: no env key, a key file path that does not exist;
    the cached key is cleared before and after so other tests keep theirs."""
    monkeypatch.delenv("PSYNOTE_MASTER_KEY", raising=False)
    settings.MASTER_KEY_FILE = tmp_path / "keys" / "master.key"
    crypto.master_key.cache_clear()
    yield settings.MASTER_KEY_FILE
    crypto.master_key.cache_clear()


def test_a_missing_master_key_says_how_to_recover(master_env):
    with pytest.raises(crypto.MasterKeyMissing, match="psynote init"):
        crypto.master_key()


def test_the_master_key_file_is_made_once_and_private(master_env):
    assert crypto.create_master_key_file() is True
    key = crypto.master_key()

    assert len(key) == 32
    assert master_env.stat().st_mode & 0o777 == 0o600
    assert crypto.create_master_key_file() is False  # never overwritten: that loses records
    crypto.master_key.cache_clear()
    assert crypto.master_key() == key


def test_a_master_key_of_the_wrong_length_is_refused(master_env, monkeypatch):
    monkeypatch.setenv("PSYNOTE_MASTER_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(crypto.MasterKeyMissing, match="32 bytes"):
        crypto.master_key()


def test_the_master_key_may_come_from_the_environment(master_env, monkeypatch):
    key = crypto.new_key()
    monkeypatch.setenv("PSYNOTE_MASTER_KEY", base64.b64encode(key).decode())

    assert crypto.master_key() == key
    assert crypto.create_master_key_file() is False
    assert not master_env.exists()
