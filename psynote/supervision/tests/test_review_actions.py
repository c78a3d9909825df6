"""The review loop on a real database: hand-offs, comments, holds, co-signatures."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.notes import actions as note_actions
from psynote.notes.access import get_note_for
from psynote.supervision import actions
from psynote.supervision.models import (
    Cosignature,
    CosignatureLocked,
    Mode,
    NoteReview,
    ReviewState,
    ReviewStep,
    Supervision,
)
from psynote.supervision.queries import notes_awaiting_review, notes_returned_for_revision
from psynote.supervision.record import in_record


def _mode(cast, mode):
    actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue, mode=mode)


def _draft(cast):
    return t.make_note(t.make_session(cast.supervisee_client, cast.sue))


def test_the_revision_loop_is_kept_and_audited(cast):
    _mode(cast, Mode.APPROVE_BEFORE_RECORD)
    note = _draft(cast)
    actions.mark_ready(by=cast.sue, note=note)
    assert list(notes_awaiting_review(cast.sam)) == [note]
    actions.return_note(by=cast.sam, note=note,
                        comments=[("assessment", "Tie this to the goal."), ("", "")])
    assert list(notes_returned_for_revision(cast.sue)) == [note]
    assert not notes_awaiting_review(cast.sam).exists()
    comment = note.review_comments.get()
    assert (comment.section, comment.body(), comment.on_signed_note) == (
        "assessment", "Tie this to the goal.", False)
    actions.mark_ready(by=cast.sue, note=note)
    note = note_actions.sign_note(by=cast.sue, note=note)
    review = NoteReview.objects.get(note=note)
    assert review.state == ReviewState.AWAITING_APPROVAL and review.held
    assert review.mode_at_signing == Mode.APPROVE_BEFORE_RECORD
    assert not notes_returned_for_revision(cast.sue).exists()
    actions.cosign(by=cast.sam, note=note, approve=True)
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and not review.held
    assert [s.action for s in ReviewStep.objects.filter(note=note)] == [
        "ready", "returned", "ready", "signed", "approved"]
    events = list(AuditEvent.objects.filter(target_id=str(note.pk),
                                            action__startswith="review.")
                  .order_by("seq").values_list("action", flat=True))
    assert events == ["review.ready", "review.return", "review.ready", "review.signed"]
    assert not any("Tie this" in e.detail for e in AuditEvent.objects.all())


def test_a_held_note_is_out_of_the_record_until_approved(cast):
    _mode(cast, Mode.APPROVE_BEFORE_RECORD)
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    cast.supervisee_client.care_team.create(user=cast.bob, role="clinician")
    signed = in_record(type(note).objects.signed())
    assert note not in signed
    # Its author and the supervisor still reach it; a colleague on the care team does not.
    assert get_note_for(cast.sue, note.pk) == note
    assert get_note_for(cast.sam, note.pk) == note
    with pytest.raises(Exception, match="Not found"):
        get_note_for(cast.bob, note.pk)
    actions.cosign(by=cast.sam, note=note, approve=True)
    assert note in in_record(type(note).objects.signed())
    assert get_note_for(cast.bob, note.pk) == note


def test_changing_the_mode_later_moves_no_note(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    _mode(cast, Mode.APPROVE_BEFORE_RECORD)
    assert note in in_record(type(note).objects.signed())


def test_cosign_required_flags_until_cosigned(cast):
    _mode(cast, Mode.COSIGN_REQUIRED)
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    review = NoteReview.objects.get(note=note)
    assert review.state == ReviewState.AWAITING_COSIGNATURE and not review.held
    assert note in in_record(type(note).objects.signed())
    assert list(notes_awaiting_review(cast.sam)) == [note]
    with pytest.raises(ValidationError, match="not waiting for approval"):
        actions.cosign(by=cast.sam, note=note, approve=True)
    signature = actions.cosign(by=cast.sam, note=note)
    assert signature.kind == Cosignature.Kind.COSIGNATURE
    assert signature.signer_name == cast.sam.signature_name and "PhD" in signature.signer_name
    assert signature.note_hash == note.content_hash
    assert signature.content_hash == signature.compute_hash()
    event = AuditEvent.objects.get(action="note.cosign", target_id=str(note.pk))
    assert json.loads(event.detail)["content_hash"] == signature.content_hash
    assert not notes_awaiting_review(cast.sam).exists()
    with pytest.raises(ValidationError, match="already co-signed"):
        actions.cosign(by=cast.sam, note=note)


def test_a_cosignature_cannot_be_changed_or_removed(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    signature = actions.cosign(by=cast.sam, note=note)
    with pytest.raises(CosignatureLocked):
        signature.delete()
    with pytest.raises(CosignatureLocked):
        signature.save()
    for sql in ("UPDATE supervision_cosignature SET signer_name = 'x'",
                "DELETE FROM supervision_cosignature"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert Cosignature.objects.get(note=note).signer_name == cast.sam.signature_name


@pytest.mark.parametrize("who", ["alice", "bob", "ada"])
def test_only_a_supervisor_of_the_author_acts(cast, who):
    note = _draft(cast)
    actions.mark_ready(by=cast.sue, note=note)
    with pytest.raises(ValidationError, match="only a supervisor"):
        actions.return_note(by=getattr(cast, who), note=note, comments=[("", "No.")])
    with pytest.raises(ValidationError, match="only a supervisor"):
        actions.add_comment(by=getattr(cast, who), note=note, text="No.")


def test_bad_input_is_refused_and_changes_nothing(cast):
    note = _draft(cast)
    with pytest.raises(ValidationError, match="ready for review can be returned"):
        actions.return_note(by=cast.sam, note=note, comments=[("", "Too early.")])
    actions.mark_ready(by=cast.sue, note=note)
    with pytest.raises(ValidationError, match="already waiting"):
        actions.mark_ready(by=cast.sue, note=note)
    with pytest.raises(ValidationError, match="at least one comment"):
        actions.return_note(by=cast.sam, note=note, comments=[("plan", "  ")])
    with pytest.raises(ValidationError, match="section must be one of"):
        actions.add_comment(by=cast.sam, note=note, section="nonsense", text="Hi.")
    with pytest.raises(ValidationError, match="longer than"):
        actions.add_comment(by=cast.sam, note=note, text="x" * 10_001)
    with pytest.raises(ValidationError, match="author signs first"):
        actions.cosign(by=cast.sam, note=note)
    assert not note.review_comments.exists()
    assert NoteReview.objects.get(note=note).state == ReviewState.READY


def test_a_clinician_without_supervisor_cannot_mark_ready(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError, match="no supervisor"):
        actions.mark_ready(by=cast.alice, note=note)


def test_feedback_on_a_signed_note_is_a_private_thread(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    with pytest.raises(ValidationError, match="cannot be returned"):
        actions.return_note(by=cast.sam, note=note, comments=[("", "Redo.")])
    comment = actions.add_comment(by=cast.sam, note=note, section="plan", text="Nice plan.")
    reply = actions.add_comment(by=cast.sue, note=note, text="Thanks.")
    assert comment.on_signed_note and reply.on_signed_note


def test_supervision_rules(cast, other_practice_supervisor):
    with pytest.raises(ValidationError, match="supervisor role"):
        actions.set_supervision(by=cast.ada, supervisor=cast.alice, supervisee=cast.bob)
    with pytest.raises(ValidationError, match="same practice"):
        actions.set_supervision(by=cast.ada, supervisor=other_practice_supervisor,
                                supervisee=cast.bob)
    with pytest.raises(ValidationError, match="themselves"):
        actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sam)
    with pytest.raises(ValidationError, match="mode must be"):
        actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.bob,
                                mode="lenient")
    with pytest.raises(IntegrityError), transaction.atomic():
        Supervision.objects.create(supervisor=cast.sam, supervisee=cast.sue)
    assert AuditEvent.objects.filter(action="supervision.set",
                                     target_id=str(cast.sue.pk)).exists()


def test_several_supervisors_the_strictest_mode_applies_and_one_signs(cast):
    from psynote.accounts.models import Role
    from psynote.supervision.access import mode_for, supervisors_of

    tess = t.make_user(cast.practice, "tess", Role.SUPERVISOR)
    actions.set_supervision(by=cast.ada, supervisor=tess, supervisee=cast.sue,
                            mode=Mode.COSIGN_REQUIRED)
    assert set(supervisors_of(cast.sue)) == {cast.sam, tess}
    assert mode_for(cast.sue) == Mode.COSIGN_REQUIRED
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    actions.cosign(by=tess, note=note)
    with pytest.raises(ValidationError, match="already co-signed"):
        actions.cosign(by=cast.sam, note=note)


@pytest.fixture
def other_practice_supervisor(db):
    from psynote.accounts.models import Role

    return t.make_user(t.make_practice("Elsewhere Fictional"), "stan", Role.SUPERVISOR)


def test_verify_finds_an_altered_or_lost_cosignature(cast):
    from psynote.lib.tests import triggers
    from psynote.notes.integrity import signed_records_problems

    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    actions.cosign(by=cast.sam, note=note)
    assert list(signed_records_problems(cast.practice.pk)) == []
    statements = triggers.disable()
    try:
        Cosignature.objects.filter(note=note).update(signer_name="Someone Else, PhD")
        problems = list(signed_records_problems(cast.practice.pk))
        assert [(p.kind, p.record_id) for p in problems] == [("co-signature", str(note.pk))]
        Cosignature.objects.filter(note=note).delete()
        problems = list(signed_records_problems(cast.practice.pk))
        assert "missing" in problems[0].reason
    finally:
        triggers.restore(statements)
