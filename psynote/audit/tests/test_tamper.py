"""Tampering through raw SQL, as someone with database access would do it: first switching
off the triggers, then editing, deleting or swapping rows. Every such change must be named
by `verify_practice` (the audit chain) or `signed_records_problems` (signed notes).

The triggers themselves are tested here too: with them in force, raw SQL cannot change a
signed note, an addendum or an audit event.
"""

from datetime import time

import pytest
from django.db import IntegrityError, connection, transaction

from psynote import testing as t
from psynote.audit.chain import verify_practice
from psynote.audit.models import AuditEvent
from psynote.lib import crypto
from psynote.lib.tests import triggers
from psynote.notes import actions
from psynote.notes.integrity import signed_records_problems
from psynote.notes.models import Addendum, ProgressNote

EVENTS = AuditEvent._meta.db_table
NOTES = ProgressNote._meta.db_table
ADDENDA = Addendum._meta.db_table


def sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def problems(cast) -> list:
    return list(signed_records_problems(cast.practice.pk))


def first_break(cast) -> int | None:
    report = verify_practice(cast.practice.pk)
    return report.breaks[0].seq if report.breaks else None


def signed_note(cast, client=None, clinician=None):
    session = t.make_session(client or cast.client, clinician or cast.alice)
    return t.make_note(session, sign=True)


def last_seq(cast) -> int:
    return AuditEvent.objects.filter(practice_id=cast.practice.pk).order_by("-seq").first().seq


def _refused(statement: str, params: list | None = None):
    # A savepoint, so that PostgreSQL's aborted statement leaves the test usable.
    with pytest.raises(IntegrityError, match="psynote"), transaction.atomic():
        sql(statement, params)


@pytest.fixture
def record(cast):
    """A signed note with an addendum, and a draft: an intact, verified starting point."""
    note = signed_note(cast)
    addendum = actions.add_addendum(by=cast.alice, note=note, body="Later information.")
    other = signed_note(cast, cast.other_client, cast.bob)
    draft = t.make_note(t.make_session(cast.client, cast.alice, start=time(14, 0)))
    assert verify_practice(cast.practice.pk).breaks == []
    assert problems(cast) == []
    triggers.disable()  # undone by the test's rollback
    return note, addendum, other, draft


# --- the audit chain ---------------------------------------------------------------------


def test_editing_an_event_is_named_by_its_number(cast, record):
    sql(
        f"UPDATE {EVENTS} SET payload = replace(payload, action, 'note.view') "
        "WHERE practice_id = %s AND seq = 5",
        [cast.practice.pk],
    )

    assert first_break(cast) == 5


def test_editing_an_events_detail_is_named_by_its_number(cast, record):
    note = record[0]
    event = AuditEvent.objects.get(action="note.sign", target_id=str(note.pk))
    sql(
        f"UPDATE {EVENTS} SET payload = replace(payload, %s, %s) WHERE id = %s",
        ['"late_entry":false', '"late_entry":true', event.pk],
    )

    assert first_break(cast) == event.seq


def test_deleting_an_event_in_the_middle_is_named_by_its_number(cast, record):
    sql(f"DELETE FROM {EVENTS} WHERE practice_id = %s AND seq = 4", [cast.practice.pk])

    report = verify_practice(cast.practice.pk)
    assert report.breaks[0].seq == 4
    assert "missing" in report.breaks[0].reason


def test_deleting_the_last_event_is_named_by_its_number(cast, record):
    last = last_seq(cast)
    sql(f"DELETE FROM {EVENTS} WHERE practice_id = %s AND seq = %s", [cast.practice.pk, last])

    assert first_break(cast) == last


def test_swapping_two_events_is_named_at_the_earlier(cast, record):
    pid = cast.practice.pk
    sql(f"UPDATE {EVENTS} SET seq = -1 WHERE practice_id = %s AND seq = 3", [pid])
    sql(f"UPDATE {EVENTS} SET seq = 3 WHERE practice_id = %s AND seq = 7", [pid])
    sql(f"UPDATE {EVENTS} SET seq = 7 WHERE practice_id = %s AND seq = -1", [pid])

    assert first_break(cast) == 3


def test_moving_a_value_between_fields_is_detected(cast, record):
    # The value keeps its bytes but moves from one field of the event to its neighbour.
    from psynote.audit import log

    event = log.record_by(cast.alice, "note.view", target_type="progress_note-x", target_id="y")
    sql(
        f"UPDATE {EVENTS} SET payload = replace(replace(payload, %s, %s), %s, %s) WHERE id = %s",
        ['"progress_note-x"', '"progress_note"', '"target_id":"y"', '"target_id":"x-y"', event.pk],
    )

    assert first_break(cast) == event.seq


def test_an_intact_chain_reports_no_break_after_many_writes(cast):
    for _ in range(3):
        signed_note(cast)

    report = verify_practice(cast.practice.pk, stop_at_first=False)
    assert report.breaks == [] and report.events == last_seq(cast)


# --- signed notes and addenda ------------------------------------------------------------


def _key(pk) -> str:
    # PostgreSQL stores UUIDs natively, SQLite as 32 hex characters.
    return str(pk) if connection.vendor == "postgresql" else pk.hex


def _flip_one_byte(table: str, column: str, pk) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [_key(pk)])
        blob = bytearray(bytes(cursor.fetchone()[0]))
    blob[len(blob) // 2] ^= 0x01
    _raw_set(table, column, bytes(blob), pk)


def _raw_set(table: str, column: str, value, pk) -> None:
    assert sql(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, _key(pk)]) == 1


def _named(found, kind: str, record_id) -> list[str]:
    return [p.reason for p in found if p.kind == kind and p.record_id == str(record_id)]


def test_flipping_one_byte_of_a_signed_notes_ciphertext_is_named(cast, record):
    note = record[0]
    _flip_one_byte(NOTES, "content_ct", note.pk)

    found = problems(cast)
    assert _named(found, "progress note", note.pk) == [
        "its ciphertext was altered or moved from another row"
    ]


def test_swapping_two_signed_notes_ciphertexts_names_both(cast, record):
    note, _, other, _ = record
    _raw_set(NOTES, "content_ct", bytes(other.content_ct), note.pk)
    _raw_set(NOTES, "content_ct", bytes(note.content_ct), other.pk)

    found = problems(cast)
    assert _named(found, "progress note", note.pk)
    assert _named(found, "progress note", other.pk)


def test_editing_a_signed_notes_content_hash_is_named(cast, record):
    note = record[0]
    _raw_set(NOTES, "content_hash", "0" * 64, note.pk)

    assert _named(problems(cast), "progress note", note.pk) == [
        "its content no longer matches its signed hash"
    ]


def test_resealing_a_signed_note_with_new_content_and_its_hash_is_caught_by_the_chain(cast, record):
    # An attacker who also holds the master key rewrites the note and its hash to match:
    # only the hash recorded in the audit chain at signing gives them away.
    note = ProgressNote.objects.get(pk=record[0].pk)
    content = note.content()
    content["sections"]["assessment"] = "Rewritten after the fact."
    note.set_content(content)
    _raw_set(NOTES, "content_ct", note.content_ct, note.pk)
    _raw_set(NOTES, "content_hash", note.compute_hash(), note.pk)

    assert _named(problems(cast), "progress note", note.pk) == [
        "its signed hash differs from the one in the audit chain"
    ]


def test_flipping_one_byte_of_an_addendum_body_is_named(cast, record):
    addendum = record[1]
    _flip_one_byte(ADDENDA, "body_ct", addendum.pk)

    assert _named(problems(cast), "addendum", addendum.pk) == [
        "its ciphertext was altered or moved from another row"
    ]


def test_rewriting_an_addendum_body_under_the_right_key_is_named(cast, record):
    addendum = Addendum.objects.select_related("note__client").get(pk=record[1].pk)
    addendum.set_body("Something the author never wrote.")
    _raw_set(ADDENDA, "body_ct", addendum.body_ct, addendum.pk)

    assert _named(problems(cast), "addendum", addendum.pk) == [
        "its content no longer matches its signed hash"
    ]


def test_unsigning_a_note_back_into_a_draft_is_named(cast, record):
    note = record[0]
    sql(
        f"UPDATE {NOTES} SET signed_at = NULL, signed_by_id = NULL, signer_name = '', "
        "content_hash = '' WHERE id = %s",
        [_key(note.pk)],
    )

    assert _named(problems(cast), "progress note", note.pk) == [
        "the audit chain records its signing, but it is missing or no longer signed"
    ]


def test_deleting_a_signed_note_is_named(cast, record):
    other = record[2]  # it has no addendum holding on to it
    assert sql(f"DELETE FROM {NOTES} WHERE id = %s", [_key(other.pk)]) == 1

    assert _named(problems(cast), "progress note", other.pk)


def test_deleting_an_addendum_is_named(cast, record):
    addendum = record[1]
    assert sql(f"DELETE FROM {ADDENDA} WHERE id = %s", [_key(addendum.pk)]) == 1

    assert _named(problems(cast), "addendum", addendum.pk)


def test_an_untouched_record_has_no_problems(cast, record):
    assert problems(cast) == []


# --- the triggers, in force --------------------------------------------------------------


@pytest.fixture
def signed(cast):
    note = signed_note(cast)
    addendum = actions.add_addendum(by=cast.alice, note=note, body="An addendum.")
    draft = t.make_note(t.make_session(cast.client, cast.alice, start=time(14, 0)))
    return note, addendum, draft, _key


def test_triggers_refuse_updating_a_signed_note(signed):
    note, _, _, key = signed
    _refused(f"UPDATE {NOTES} SET cpt_code = '90837' WHERE id = %s", [key(note.pk)])


def test_triggers_refuse_unsigning_a_signed_note(signed):
    note, _, _, key = signed
    _refused(
        f"UPDATE {NOTES} SET signed_at = NULL, signed_by_id = NULL, signer_name = '', "
        "content_hash = '' WHERE id = %s",
        [key(note.pk)],
    )


def test_triggers_refuse_deleting_a_signed_note(signed):
    note, _, _, key = signed
    _refused(f"DELETE FROM {NOTES} WHERE id = %s", [key(note.pk)])


def test_triggers_refuse_updating_an_addendum(signed):
    _, addendum, _, key = signed
    _refused(f"UPDATE {ADDENDA} SET kind = 'clarification' WHERE id = %s", [key(addendum.pk)])


def test_triggers_refuse_deleting_an_addendum(signed):
    _, addendum, _, key = signed
    _refused(f"DELETE FROM {ADDENDA} WHERE id = %s", [key(addendum.pk)])


def test_triggers_refuse_updating_an_audit_event(cast, signed):
    _refused(f"UPDATE {EVENTS} SET payload = '{{}}' WHERE practice_id = %s", [cast.practice.pk])


def test_triggers_refuse_deleting_an_audit_event(cast, signed):
    _refused(f"DELETE FROM {EVENTS} WHERE practice_id = %s AND seq = 1", [cast.practice.pk])


def test_triggers_refuse_emptying_the_audit_table(cast, signed):
    if connection.vendor == "postgresql":
        _refused(f"TRUNCATE {EVENTS}")
    else:  # SQLite has no TRUNCATE; its equivalent is an unqualified DELETE
        _refused(f"DELETE FROM {EVENTS}")
    assert AuditEvent.objects.filter(practice_id=cast.practice.pk).count() == last_seq(cast)


def test_triggers_let_a_draft_note_change(signed):
    _, _, draft, key = signed
    assert sql(f"UPDATE {NOTES} SET cpt_code = 'x' WHERE id = %s", [key(draft.pk)]) == 1

    assert ProgressNote.objects.get(pk=draft.pk).cpt_code == "x"


def test_triggers_are_all_in_force_after_migrating(db):
    expected = {
        f"{table}_refuse_{op}" for table in (NOTES, ADDENDA, EVENTS) for op in ("update", "delete")
    }
    if connection.vendor == "postgresql":  # row triggers do not see TRUNCATE there
        expected |= {f"{ADDENDA}_refuse_truncate", f"{EVENTS}_refuse_truncate"}
    assert expected <= triggers.enabled_names()


def test_ciphertexts_bind_to_their_row_through_associated_data(cast, signed):
    note, _, draft, _ = signed
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(cast.client.data_key(), bytes(note.content_ct), draft._aad())
