"""The chain's links are keyed (HMAC-SHA-256 under a key derived from the master key), so
someone who can write the database but does not hold the key cannot re-chain it."""

import base64
import hmac
import itertools
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psynote.audit import chain, log
from psynote.audit.models import AuditEvent
from psynote.audit.tests import attacker
from psynote.lib import crypto
from psynote.lib.tests import triggers

_practice_ids = itertools.count(2_000_000)


def _chain(length: int = 6) -> int:
    practice_id = next(_practice_ids)
    for i in range(length):
        log.record(practice_id=practice_id, action=f"note.view.{i}", target_id=i)
    return practice_id


@given(key=st.binary(min_size=0, max_size=100), previous=st.binary(max_size=32),
       payload=st.binary(max_size=400))
def test_the_fast_path_of_verify_is_exactly_hmac_sha256(key, previous, payload):
    inner, outer = chain._pads(key)
    h = inner.copy()
    h.update(previous + payload)
    o = outer.copy()
    o.update(h.digest())

    assert o.digest() == hmac.digest(key, previous + payload, "sha256")


@pytest.mark.django_db
def test_every_link_is_the_hmac_of_the_previous_link_and_the_stored_bytes():
    practice_id = _chain(4)
    key = chain.chain_key(practice_id)

    previous = chain.GENESIS
    for event in AuditEvent.objects.filter(practice_id=practice_id).order_by("seq"):
        previous = hmac.digest(key, previous + event.payload.encode(), "sha256")
        assert bytes(event.hash) == previous
    assert chain.verify_practice(practice_id).breaks == []


def test_each_practice_has_its_own_chain_key_and_none_is_the_master_key():
    one, two = chain.chain_key(1), chain.chain_key(2)

    assert len(one) == len(two) == 32
    assert one != two
    assert crypto.master_key() not in (one, two)


def test_the_chain_key_follows_the_master_key(monkeypatch):
    before = chain.chain_key(1)
    monkeypatch.setenv("PSYNOTE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    crypto.master_key.cache_clear()
    try:
        assert chain.chain_key(1) != before
    finally:
        monkeypatch.undo()
        crypto.master_key.cache_clear()
    assert chain.chain_key(1) == before


@pytest.mark.django_db
def test_rechaining_with_plain_sha256_is_detected_and_named():
    practice_id = _chain()
    triggers.disable()  # undone by the test's rollback

    attacker.rechain(practice_id, attacker.plain_sha256, edit=(3, "note.view.2", "note.view.x"))
    report = chain.verify_practice(practice_id)

    assert report.breaks[0].seq == 1
    assert "plain SHA-256" in report.breaks[0].reason
    assert "without the key" in report.breaks[0].reason


@pytest.mark.django_db
def test_rechaining_with_a_wrong_key_is_detected_at_the_first_event():
    practice_id = _chain()
    triggers.disable()

    attacker.rechain(practice_id, attacker.hmac_with(os.urandom(32)))

    assert chain.verify_practice(practice_id).breaks[0].seq == 1


@pytest.mark.django_db
def test_rechaining_with_the_key_of_another_practice_is_detected():
    practice_id = _chain()
    triggers.disable()

    attacker.rechain(practice_id, attacker.hmac_with(chain.chain_key(practice_id + 1)))

    assert chain.verify_practice(practice_id).breaks[0].seq == 1


@pytest.mark.django_db
def test_editing_one_event_and_rechaining_the_rest_without_the_key_names_the_edited_one():
    # The attacker keeps the genuine links up to the edit and forges from there on.
    practice_id = _chain(8)
    triggers.disable()

    attacker.rechain(
        practice_id,
        attacker.hmac_with(os.urandom(32)),
        edit=(5, "note.view.4", "note.view.y"),
        start=5,
    )

    report = chain.verify_practice(practice_id)
    assert report.breaks[0].seq == 5
    assert report.breaks[0].reason == "its contents or position do not match its hash (edited)"


@pytest.mark.django_db
def test_cutting_the_tail_and_rewriting_the_head_is_left_to_the_anchor():
    # Without the checkpoints a shortened chain with a matching head is consistent: this is
    # what audit.verify's comparison with the anchor catches (test_anchor.py).
    practice_id = _chain(6)
    triggers.disable()

    attacker.cut_tail(practice_id, 4)

    report = chain.verify_practice(practice_id)
    assert report.breaks == [] and report.events == 4


@pytest.mark.django_db
def test_a_head_that_is_not_the_chains_link_is_named():
    practice_id = _chain(5)
    triggers.disable()

    attacker.set_head(practice_id, 5, os.urandom(32))

    report = chain.verify_practice(practice_id)
    assert report.breaks[0].seq == 5
    assert "head was altered" in report.breaks[0].reason


@pytest.mark.django_db
def test_a_removed_head_is_named():
    practice_id = _chain(3)
    triggers.disable()

    attacker.sql(f"DELETE FROM {attacker.HEADS} WHERE practice_id = %s", [practice_id])

    assert "no recorded head" in chain.verify_practice(practice_id).breaks[0].reason
