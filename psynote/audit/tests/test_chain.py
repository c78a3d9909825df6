"""Property tests of the per-practice audit hash chain (audit/chain.py, audit/log.py).

Every hypothesis example writes to a chain of its own (a fresh practice id), so examples
never see each other's events inside the one rolled-back test transaction.
"""

import itertools
import json
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psynote.audit import chain, log
from psynote.audit.models import AuditEvent
from psynote.lib.tests import triggers

_practice_ids = itertools.count(1_000_000)
TEXT_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "client_id",
    "ip",
    "detail",
)
DB_SETTINGS = settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text, with the characters that matter here (the 0x1F separator, NUL, other controls,
# backslashes, non-ASCII) drawn far more often than chance would.
awkward = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x1f\x00\n\t\\é漢😀")),
    max_size=90,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | awkward,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(awkward, inner, max_size=3),
    max_leaves=8,
)
actors = st.none() | st.builds(SimpleNamespace, pk=st.integers(1, 10**9), signature_name=awkward)
events = st.fixed_dictionaries(
    {
        "action": awkward,
        "actor": actors,
        "target_type": awkward,
        "target_id": awkward | st.uuids(),
        "client_id": awkward | st.uuids(),
        "ip": awkward,
        "detail": st.none() | st.dictionaries(awkward, json_values, max_size=4),
    }
)


def _write(practice_id: int, batch: list[dict]) -> list[AuditEvent]:
    return [log.record(practice_id=practice_id, **event) for event in batch]


def _raw_update(practice_id: int, seq: int, column: str, value: object) -> None:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s "
            "WHERE practice_id = %s AND seq = %s",
            [value, practice_id, seq],
        )
        assert cursor.rowcount == 1


@pytest.mark.django_db
@DB_SETTINGS
@given(batch=st.lists(events, min_size=1, max_size=8))
def test_any_sequence_of_events_verifies(batch):
    practice_id = next(_practice_ids)
    written = _write(practice_id, batch)

    report = chain.verify_practice(practice_id, stop_at_first=False)

    assert report.breaks == []
    assert report.events == len(batch)
    assert report.head == bytes(written[-1].hash)
    assert [e.seq for e in written] == list(range(1, len(batch) + 1))


@pytest.mark.django_db
@DB_SETTINGS
@given(batch=st.lists(events, min_size=1, max_size=4))
def test_columns_show_exactly_what_was_hashed(batch):
    practice_id = next(_practice_ids)
    _write(practice_id, batch)

    for event in AuditEvent.objects.filter(practice_id=practice_id):
        hashed = json.loads(event.payload)
        for column in TEXT_COLUMNS:
            shown = getattr(event, column)
            if column == "detail":
                assert json.loads(shown) == hashed[column]
            else:
                assert shown == hashed[column], column


@pytest.mark.django_db
def test_generated_columns_cannot_be_edited_apart_from_the_payload():
    event = log.record(practice_id=next(_practice_ids), action="note.view")
    triggers.disable()  # even with the append-only triggers gone

    for column in TEXT_COLUMNS:
        with pytest.raises(DatabaseError), transaction.atomic():
            _raw_update(event.practice_id, event.seq, column, "forged")


@pytest.mark.django_db
def test_overlong_values_are_clipped_to_their_column_not_refused():
    # An id taken from a URL may be any length; the denial must still be recorded.
    event = log.record(
        practice_id=next(_practice_ids),
        action="access.denied",
        target_type="client",
        target_id="9" * 500,
    )

    assert event.target_id == "9" * AuditEvent._meta.get_field("target_id").output_field.max_length
    assert chain.verify_practice(event.practice_id).breaks == []


def _different_text(column: str, old: str, new: str) -> str:
    limit = AuditEvent._meta.get_field(column).output_field.max_length
    new = new[:limit] if limit else new
    if new == old:
        new = ("y" if old[:1] != "y" else "z") + old[1:]
    return new


# An edit an attacker with database access could make to one event: any field of the
# hashed payload (kept valid JSON, or the database refuses it), its number, its chain, its
# stored hash. NUL is left out because PostgreSQL's JSON cannot hold it.
attacker_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40
)
edits = st.one_of(
    st.tuples(st.sampled_from(TEXT_COLUMNS), attacker_text),
    st.tuples(st.just("seq"), st.integers(-(2**40), 0) | st.integers(100, 2**40)),
    st.tuples(st.just("practice_id"), st.none()),  # moved to a chain of its own
    st.tuples(st.just("hash"), st.binary(max_size=40)),
)


@pytest.mark.django_db
@DB_SETTINGS
@given(batch=st.lists(events, min_size=1, max_size=6), data=st.data(), edit=edits)
def test_any_single_edit_of_any_column_is_the_first_break(batch, data, edit):
    practice_id = next(_practice_ids)
    written = _write(practice_id, batch)
    victim = data.draw(st.sampled_from(written), label="victim")
    column, value = edit
    old = getattr(victim, column)
    if column in TEXT_COLUMNS:
        payload = json.loads(victim.payload)
        payload[column] = _different_text(column, str(payload[column]), value)
        column, value = "payload", json.dumps(payload)
    elif column == "hash" and value == bytes(old):
        value += b"\x00"
    elif column == "practice_id":
        value = next(_practice_ids)
    triggers.disable()  # undone by the test's rollback

    _raw_update(practice_id, victim.seq, column, value)
    report = chain.verify_practice(practice_id)

    assert report.breaks, f"edit of {column} went unnoticed"
    assert report.breaks[0].seq == victim.seq


@pytest.mark.django_db
def test_a_renumbered_event_is_reported_where_it_left_and_as_out_of_place():
    practice_id = next(_practice_ids)
    _write(practice_id, [{"action": f"a{i}"} for i in range(5)])
    triggers.disable()

    _raw_update(practice_id, 3, "seq", 0)
    report = chain.verify_practice(practice_id)

    assert [b.seq for b in report.breaks] == [3, 0]
    assert "missing" in report.breaks[0].reason
    assert "out of place" in report.breaks[1].reason


@pytest.mark.django_db
def test_an_empty_chain_verifies():
    report = chain.verify_practice(next(_practice_ids))

    assert report.breaks == [] and report.events == 0 and report.head == chain.GENESIS


@pytest.mark.django_db
def test_chains_of_two_practices_do_not_interfere():
    one, two = next(_practice_ids), next(_practice_ids)
    _write(one, [{"action": "x"}] * 3)
    _write(two, [{"action": "y"}] * 2)

    assert chain.verify_practice(one).events == 3
    assert chain.verify_practice(two).events == 2
    assert chain.verify_practice(one).breaks == chain.verify_practice(two).breaks == []
