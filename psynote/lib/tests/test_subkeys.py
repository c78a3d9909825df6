"""Keys derived from the master key (psynote.lib.subkeys)."""

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from psynote.lib import crypto, subkeys


def test_a_derived_key_is_hkdf_sha256_of_the_master_key_for_its_purpose():
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=b"psynote/v1/audit-chain/practice/1")

    assert subkeys.derive("audit-chain/practice/1") == expected.derive(crypto.master_key())


def test_each_purpose_has_its_own_key_and_none_is_the_master_key():
    keys = {subkeys.derive(purpose) for purpose in ("a", "b", "audit-chain/practice/1")}

    assert len(keys) == 3
    assert crypto.master_key() not in keys
    assert all(len(key) == 32 for key in keys)


def test_another_master_key_derives_other_keys(monkeypatch):
    before = subkeys.derive("a")
    monkeypatch.setenv("PSYNOTE_MASTER_KEY", base64.b64encode(bytes(range(32))).decode())
    crypto.master_key.cache_clear()
    try:
        assert subkeys.derive("a") != before
    finally:
        monkeypatch.undo()
        crypto.master_key.cache_clear()
    assert subkeys.derive("a") == before
