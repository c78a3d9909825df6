"""The database itself refuses what the models refuse: one test per CheckConstraint, written
through QuerySet.update() or create() so that no model method gets a say, plus the
signed-content triggers as seen through the ORM."""

from contextlib import contextmanager
from datetime import time

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import User
from psynote.audit import log
from psynote.audit.models import AuditEvent
from psynote.clients.models import CareTeamMember, Client
from psynote.notes import actions
from psynote.notes.models import Addendum, ProgressNote
from psynote.visits.models import Session


@contextmanager
def refused(*names: str):
    """The database refuses the write and its message names the constraint or trigger."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield  # the savepoint keeps PostgreSQL's aborted statement from ending the test
    message = str(caught.value).lower()
    assert any(name.lower() in message for name in names), message


@pytest.fixture
def draft(cast):
    return t.make_note(t.make_session(cast.client, cast.alice))


@pytest.fixture
def signed(cast):
    return t.make_note(t.make_session(cast.client, cast.alice, start=time(14, 0)), sign=True)


# --- notes: note_signature_fields_together -----------------------------------------------


def test_database_refuses_signed_at_without_signed_by(draft):
    with refused("note_signature_fields_together"):
        ProgressNote.objects.filter(pk=draft.pk).update(
            signed_at=timezone.now(), signer_name="Alice", content_hash="a" * 64
        )


def test_database_refuses_signed_by_without_signed_at(cast, draft):
    with refused("note_signature_fields_together"):
        ProgressNote.objects.filter(pk=draft.pk).update(
            signed_by=cast.alice, signer_name="Alice", content_hash="a" * 64
        )


def test_database_refuses_a_signature_without_a_content_hash(cast, draft):
    with refused("note_signature_fields_together"):
        ProgressNote.objects.filter(pk=draft.pk).update(
            signed_at=timezone.now(), signed_by=cast.alice, signer_name="Alice"
        )


def test_database_refuses_a_signature_without_the_signers_name(cast, draft):
    with refused("note_signature_fields_together"):
        ProgressNote.objects.filter(pk=draft.pk).update(
            signed_at=timezone.now(), signed_by=cast.alice, content_hash="a" * 64
        )


def test_database_refuses_a_draft_carrying_a_content_hash(draft):
    with refused("note_signature_fields_together"):
        ProgressNote.objects.filter(pk=draft.pk).update(content_hash="a" * 64)


def test_database_accepts_all_signature_fields_together(cast, draft):
    updated = ProgressNote.objects.filter(pk=draft.pk).update(
        signed_at=timezone.now(), signed_by=cast.alice, signer_name="Alice", content_hash="a" * 64
    )
    assert updated == 1


# --- notes: addendum_signed --------------------------------------------------------------


def _unsigned_addendum(cast, note, **fields):
    values = {
        "note": note,
        "author": cast.alice,
        "body_ct": b"x",
        "signed_at": timezone.now(),
        "signed_by": cast.alice,
        "signer_name": "Alice",
        "content_hash": "a" * 64,
    }
    return Addendum.objects.bulk_create([Addendum(**(values | fields))])


def test_database_refuses_an_addendum_without_a_content_hash(cast, signed):
    with refused("addendum_signed"):
        _unsigned_addendum(cast, signed, content_hash="")


def test_database_refuses_an_addendum_without_the_signers_name(cast, signed):
    with refused("addendum_signed"):
        _unsigned_addendum(cast, signed, signer_name="")


def test_database_refuses_an_addendum_without_signed_at(cast, signed):
    with refused("signed_at"):  # NOT NULL: an addendum is signed as it is written
        _unsigned_addendum(cast, signed, signed_at=None)


# --- visits ------------------------------------------------------------------------------


def test_database_refuses_a_session_that_stops_before_it_starts(cast):
    session = t.make_session(cast.client, cast.alice)
    with refused("session_stop_after_start"):
        Session.objects.filter(pk=session.pk).update(end_time=time(9, 0))


def test_database_refuses_a_session_that_stops_when_it_starts(cast):
    session = t.make_session(cast.client, cast.alice)
    with refused("session_stop_after_start"):
        Session.objects.filter(pk=session.pk).update(end_time=time(10, 0))


def test_database_accepts_a_session_without_times(cast):
    session = t.make_session(cast.client, cast.alice)
    assert Session.objects.filter(pk=session.pk).update(start_time=None, end_time=None) == 1


def test_database_refuses_an_unknown_attendance(cast):
    session = t.make_session(cast.client, cast.alice)
    with refused("session_attendance_valid"):
        Session.objects.filter(pk=session.pk).update(attendance="maybe")


# --- accounts and clients ----------------------------------------------------------------


def test_database_refuses_an_unknown_role(cast):
    with refused("user_role_valid"):
        User.objects.filter(pk=cast.fred.pk).update(role="superuser")


def test_database_refuses_an_unknown_client_status(cast):
    with refused("client_status_valid"):
        Client.objects.filter(pk=cast.client.pk).update(status="deleted")


def test_database_refuses_a_second_care_team_row_for_one_person(cast):
    with refused("care_team_unique", "unique constraint failed: clients_careteammember"):
        CareTeamMember.objects.bulk_create([CareTeamMember(client=cast.client, user=cast.alice)])


def test_database_refuses_two_audit_events_with_one_number(cast):
    event = log.record_by(cast.alice, "note.view")
    with refused("audit_seq_unique", "unique constraint failed: audit_auditevent"):
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    practice_id=event.practice_id,
                    seq=event.seq,
                    payload=event.payload,
                    hash=b"x",
                )
            ]
        )


# --- triggers, through the ORM's bulk paths (which skip the model's save guard) ----------


def test_trigger_refuses_a_bulk_update_of_a_signed_note(signed):
    with refused("a signed progress note cannot change"):
        ProgressNote.objects.filter(pk=signed.pk).update(cpt_code="90837")


def test_trigger_refuses_unsigning_a_signed_note(signed):
    with refused("a signed progress note cannot change"):
        ProgressNote.objects.filter(pk=signed.pk).update(
            signed_at=None, signed_by=None, signer_name="", content_hash=""
        )


def test_trigger_refuses_a_bulk_delete_of_a_signed_note(signed):
    with refused("a signed progress note cannot change"):
        ProgressNote.objects.filter(pk=signed.pk)._raw_delete(using="default")


def test_trigger_refuses_changing_an_addendum(cast, signed):
    addendum = actions.add_addendum(by=cast.alice, note=signed, body="Later.")
    with refused("an addendum is signed and cannot change"):
        Addendum.objects.filter(pk=addendum.pk).update(kind="clarification")
    with refused("an addendum is signed and cannot change"):
        Addendum.objects.filter(pk=addendum.pk)._raw_delete(using="default")


def test_trigger_refuses_changing_or_deleting_audit_events(cast, signed):
    events = AuditEvent.objects.filter(practice_id=cast.practice.pk)
    with refused("audit events are append-only"):
        events.update(payload="{}")
    with refused("audit events are append-only"):
        events._raw_delete(using="default")


def test_a_draft_note_can_still_be_updated_and_deleted(draft):
    assert ProgressNote.objects.filter(pk=draft.pk).update(cpt_code="x") == 1
    draft.delete()
    assert not ProgressNote.objects.filter(pk=draft.pk).exists()
