"""Keys derived from a password (Argon2id) or a random secret (HKDF) (psynote.lib.kdf)."""

import pytest

from psynote.lib import kdf

CHEAP = kdf.Argon2Params(time_cost=1, memory_cost=8, parallelism=1)
SALT = bytes(range(16))


def test_the_same_password_and_salt_give_the_same_key():
    one = kdf.from_password("fictional passphrase", SALT, CHEAP)
    assert one == kdf.from_password("fictional passphrase", SALT, CHEAP)
    assert len(one) == 32


def test_another_password_salt_or_cost_gives_another_key():
    base = kdf.from_password("fictional passphrase", SALT, CHEAP)
    assert base != kdf.from_password("fictional passphrase!", SALT, CHEAP)
    assert base != kdf.from_password("fictional passphrase", bytes(16), CHEAP)
    assert base != kdf.from_password("fictional passphrase", SALT,
                                     kdf.Argon2Params(2, 8, 1))


def test_costs_travel_with_what_they_protect():
    params = kdf.RFC9106_LOW_MEMORY
    assert params.encode() == "argon2id$t=3$m=65536$p=4"
    assert kdf.Argon2Params.decode(params.encode()) == params
    for bad in ("", "argon2i$t=3$m=65536$p=4", "argon2id$t=x$m=1$p=1"):
        with pytest.raises(ValueError):
            kdf.Argon2Params.decode(bad)


def test_salts_are_random():
    assert len({kdf.new_salt() for _ in range(50)}) == 50


def test_a_random_secret_is_expanded_per_salt_and_purpose():
    secret = b"0123456789ABCDEFGHJKMNPQRSTVWX"
    key = kdf.from_random_secret(secret, SALT, b"purpose one")
    assert key == kdf.from_random_secret(secret, SALT, b"purpose one")
    assert key != kdf.from_random_secret(secret, SALT, b"purpose two")
    assert key != kdf.from_random_secret(secret, bytes(16), b"purpose one")
