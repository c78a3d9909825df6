"""Chains written before links were keyed (plain SHA-256) still verify after migration
audit 0003, which appends one keyed `audit.chain.keyed` event to each and records where
keyed links begin. Neither the unkeyed prefix nor that switch point can be moved or
rewritten without the key."""

import importlib
import itertools
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from psynote.audit import anchor, chain, log
from psynote.audit.models import AuditEvent, ChainHead
from psynote.audit.tests import attacker
from psynote.audit.verify import check_practice
from psynote.lib import crypto
from psynote.lib.tests import triggers

migration = importlib.import_module("psynote.audit.migrations.0003_keyed_chain")
_practice_ids = itertools.count(4_000_000)


def _old_chain(length: int) -> int:
    """A chain as Psynote wrote it before migration 0003: SHA-256 links, no key."""
    practice_id = next(_practice_ids)
    previous = chain.GENESIS
    for seq in range(1, length + 1):
        values = {
            "practice_id": practice_id, "seq": seq, "at": "2025-03-01T10:00:00.000000Z",
            "actor_id": "7", "actor_name": "Fictional Person", "action": "client.view",
            "target_type": "client", "target_id": str(seq), "client_id": str(seq), "ip": "",
            "detail": {},
        }
        payload = chain.payload(values)
        previous = chain.unkeyed_link(previous, payload)
        AuditEvent.objects.create(
            practice_id=practice_id, seq=seq, payload=payload.decode(), hash=previous
        )
    ChainHead.objects.create(practice_id=practice_id, seq=length, hash=previous)
    return practice_id


def _migrate() -> None:
    migration.key_existing_chains(apps, SimpleNamespace(connection=connection))


def _set_keyed_from(practice_id: int, value: int) -> None:
    attacker.sql(
        f"UPDATE {attacker.HEADS} SET keyed_from = %s WHERE practice_id = %s",
        [value, practice_id],
    )


@pytest.fixture
def migrated():
    """An old chain of 5 events, migrated: #6 is the keyed statement."""
    practice_id = _old_chain(5)
    _migrate()
    return practice_id


@pytest.mark.django_db
def test_a_migrated_old_chain_verifies_and_goes_on_keyed(migrated):
    log.record(practice_id=migrated, action="client.view")

    report = chain.verify_practice(migrated)

    assert report.breaks == [] and report.events == 7 and report.keyed_from == 6
    statement = json.loads(AuditEvent.objects.get(practice_id=migrated, seq=6).payload)
    old_head = bytes(AuditEvent.objects.get(practice_id=migrated, seq=5).hash)
    assert statement["action"] == "audit.chain.keyed"
    assert statement["detail"] == {"unkeyed_events": 5, "unkeyed_head": old_head.hex()}
    seventh = AuditEvent.objects.get(practice_id=migrated, seq=7)
    six = bytes(AuditEvent.objects.get(practice_id=migrated, seq=6).hash)
    assert bytes(seventh.hash) == chain.link(six, seventh.payload.encode(),
                                             chain.chain_key(migrated))
    assert check_practice(migrated).intact


@pytest.mark.django_db
def test_the_migration_anchors_each_keyed_chain_when_it_commits(
    django_capture_on_commit_callbacks,
):
    practice_id = _old_chain(3)

    with django_capture_on_commit_callbacks(execute=True):
        _migrate()

    [line] = [json.loads(x) for x in anchor.path_for(practice_id).read_text().splitlines()]
    assert (line["seq"], line["keyed_from"]) == (4, 4)
    check = check_practice(practice_id)
    assert check.intact and check.checkpoints == 1


@pytest.mark.django_db
def test_chains_without_events_need_no_statement():
    ChainHead.objects.create(practice_id=next(_practice_ids))

    _migrate()

    assert not AuditEvent.objects.filter(action=chain.KEYED_ACTION).exists()


@pytest.mark.django_db
def test_migrating_chains_without_the_master_key_says_what_is_needed(
    settings, monkeypatch, tmp_path
):
    _old_chain(2)
    monkeypatch.delenv("PSYNOTE_MASTER_KEY")
    settings.MASTER_KEY_FILE = tmp_path / "no.key"
    crypto.master_key.cache_clear()
    try:
        with pytest.raises(crypto.MasterKeyMissing, match="migration audit 0003"):
            _migrate()
    finally:
        monkeypatch.undo()
        crypto.master_key.cache_clear()


@pytest.mark.django_db
def test_editing_an_unkeyed_event_after_migration_is_named(migrated):
    triggers.disable()  # undone by the test's rollback

    attacker.sql(
        f"UPDATE {attacker.EVENTS} SET payload = replace(payload, 'client.view', 'note.view') "
        "WHERE practice_id = %s AND seq = 3",
        [migrated],
    )

    assert chain.verify_practice(migrated).breaks[0].seq == 3


@pytest.mark.django_db
def test_rewriting_the_unkeyed_prefix_consistently_breaks_at_the_keyed_statement(migrated):
    triggers.disable()
    previous = chain.GENESIS
    for seq, payload, _ in attacker.rows(migrated)[:5]:
        payload = payload.replace(b'"target_id":"2"', b'"target_id":"8"')
        attacker.sql(
            f"UPDATE {attacker.EVENTS} SET payload = %s, hash = %s "
            "WHERE practice_id = %s AND seq = %s",
            [payload.decode(), chain.unkeyed_link(previous, payload), migrated, seq],
        )
        previous = chain.unkeyed_link(previous, payload)

    assert chain.verify_practice(migrated).breaks[0].seq == 6


@pytest.mark.django_db
def test_moving_the_switch_point_later_is_named(migrated):
    triggers.disable()

    _set_keyed_from(migrated, 7)  # the keyed statement would now be checked as unkeyed
    log_break = chain.verify_practice(migrated).breaks[0]

    assert log_break.seq == 6
    assert "its link is keyed, but the chain's record says keyed links begin later" in (
        log_break.reason
    )


@pytest.mark.django_db
def test_moving_the_switch_point_earlier_is_named(migrated):
    triggers.disable()

    _set_keyed_from(migrated, 1)  # as if the whole chain had been keyed (or the head lost)

    assert "plain SHA-256" in chain.verify_practice(migrated).breaks[0].reason


@pytest.mark.django_db
def test_rechaining_everything_unkeyed_past_the_switch_point_is_named(migrated):
    # The attacker cannot write a keyed link, so they make the whole chain unkeyed and
    # point keyed_from past its end.
    log.record(practice_id=migrated, action="client.view")
    triggers.disable()

    attacker.rechain(migrated, attacker.plain_sha256)
    _set_keyed_from(migrated, 8)
    report = chain.verify_practice(migrated)

    assert report.breaks[0].seq == 8
    assert "before #8 where its keyed links begin" in report.breaks[0].reason


@pytest.mark.django_db
def test_a_statement_written_without_the_key_is_named(migrated):
    # Cut the keyed part and forge a new statement at #6 with a plain SHA-256 link.
    triggers.disable()
    attacker.sql(f"DELETE FROM {attacker.EVENTS} WHERE practice_id = %s AND seq >= 6",
                 [migrated])
    five = bytes(AuditEvent.objects.get(practice_id=migrated, seq=5).hash)
    forged = chain.payload({"action": chain.KEYED_ACTION, "seq": 6, "practice_id": migrated,
                            "detail": chain.keyed_statement(5, five)})
    attacker.sql(
        f"INSERT INTO {attacker.EVENTS} (practice_id, seq, payload, hash) "
        "VALUES (%s, %s, %s, %s)",
        [migrated, 6, forged.decode(), chain.unkeyed_link(five, forged)],
    )
    attacker.set_head(migrated, 6, chain.unkeyed_link(five, forged))

    report = chain.verify_practice(migrated)
    assert report.breaks[0].seq == 6 and "plain SHA-256" in report.breaks[0].reason


@pytest.mark.django_db
def test_a_checkpoint_that_disagrees_on_the_switch_point_is_named(migrated):
    head = chain.verify_practice(migrated)
    anchor.append(anchor.Head(migrated, head.events, head.head, 1),
                  anchor.signing_key(migrated, anchored=False))

    check = check_practice(migrated)

    assert check.problems[0].startswith(
        "audit chain: keyed links begin at #6 by the database but at #1 by the checkpoint"
    )
