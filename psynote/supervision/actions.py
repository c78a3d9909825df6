"""Supervision writes: who supervises whom and how, the review hand-offs, comments and
co-signatures. Each action is one transaction with its audit event; no event carries a
comment's text or any other clinical content."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.accounts.models import Role, User
from psynote.audit import log
from psynote.lib.request_memo import forget
from psynote.notes.models import ProgressNote
from psynote.supervision.access import is_supervisor_of, mode_for
from psynote.supervision.models import (
    Cosignature,
    Mode,
    NoteReview,
    ReviewComment,
    ReviewState,
    ReviewStep,
    Supervision,
)

# --- who supervises whom ------------------------------------------------------------


@transaction.atomic
def set_supervision(*, by: Any, supervisor: User, supervisee: User,
                    mode: str = Mode.REVIEW) -> Supervision:
    """Add a supervisor to a supervisee, or change the mode of an existing pair."""
    if mode not in Mode.values:
        raise ValidationError(f"mode must be one of {', '.join(Mode.values)}")
    if supervisor.pk == supervisee.pk:
        raise ValidationError("nobody supervises themselves")
    if supervisor.role != Role.SUPERVISOR:
        raise ValidationError("the supervisor must have the supervisor role")
    if supervisee.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        raise ValidationError("only clinicians are supervised")
    if supervisor.practice_id != supervisee.practice_id or supervisor.practice_id is None:
        raise ValidationError("supervisor and supervisee must belong to the same practice")
    row, created = Supervision.objects.select_for_update().get_or_create(
        supervisor=supervisor, supervisee=supervisee, defaults={"mode": mode})
    if not created:
        if row.mode == mode:
            return row
        row.mode, row.updated_at = mode, timezone.now()
        row.save(update_fields=["mode", "updated_at"])
    forget()
    log.record_by(by, "supervision.set" if created else "supervision.mode",
                  practice_id=supervisee.practice_id, target_type="user",
                  target_id=supervisee.pk,
                  detail={"supervisor": supervisor.pk, "mode": mode})
    return row


@transaction.atomic
def end_supervision(*, by: Any, supervision: Supervision) -> None:
    supervisee_id, supervisor_id = supervision.supervisee_id, supervision.supervisor_id
    practice_id = supervision.supervisee.practice_id
    supervision.delete()
    forget()
    log.record_by(by, "supervision.end", practice_id=practice_id, target_type="user",
                  target_id=supervisee_id, detail={"supervisor": supervisor_id})


# --- the review of one note ---------------------------------------------------------


def _locked(note: ProgressNote) -> tuple[ProgressNote, NoteReview | None]:
    note = ProgressNote.objects.select_for_update().select_related(
        "client", "author").get(pk=note.pk)
    return note, NoteReview.objects.select_for_update().filter(note=note).first()


def _step(by: Any, note: ProgressNote, action: str, event: str,
          detail: dict[str, Any] | None = None) -> None:
    ReviewStep.objects.create(note=note, action=action, by=by)
    log.record_by(by, event, target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id, detail=detail or {})


def _require_supervisor(by: Any, note: ProgressNote) -> None:
    if not is_supervisor_of(by, note.author):
        raise ValidationError("only a supervisor of the note's author does this")


@transaction.atomic
def mark_ready(*, by: Any, note: ProgressNote) -> NoteReview:
    note, review = _locked(note)
    if note.author_id != by.pk:
        raise ValidationError("only the author marks their note ready for review")
    if note.is_signed:
        raise ValidationError("this note is already signed; a supervisor may co-sign it")
    if mode_for(by) is None:
        raise ValidationError("you have no supervisor to review this note")
    if review is not None and review.state == ReviewState.READY:
        raise ValidationError("this note is already waiting for review")
    review = review or NoteReview(note=note)
    review.state, review.updated_at = ReviewState.READY, timezone.now()
    review.save()
    _step(by, note, ReviewStep.Action.READY, "review.ready")
    return review


def _clean_comment(note: ProgressNote, section: str, text: str) -> tuple[str, str]:
    section, text = (section or "").strip(), (text or "").strip()
    keys = {s.key for s in note.template_def.sections}
    if section and section not in keys:
        raise ValidationError(f"section must be one of {', '.join(sorted(keys))} "
                              "(or empty for the note as a whole)")
    if not text:
        raise ValidationError("the comment is empty")
    if len(text) > ReviewComment.MAX_TEXT:
        raise ValidationError(f"the comment is longer than {ReviewComment.MAX_TEXT} characters")
    return section, text


def _write_comment(by: Any, note: ProgressNote, section: str, text: str) -> ReviewComment:
    comment = ReviewComment(note=note, author=by, section=section,
                            on_signed_note=note.is_signed)
    comment.set_body(text)
    comment.save()
    return comment


@transaction.atomic
def add_comment(*, by: Any, note: ProgressNote, text: str, section: str = "") -> ReviewComment:
    """A comment by the author's supervisor, or the author's reply. On a signed note it is
    private feedback: never part of the client's record (ADR 0013)."""
    note, _ = _locked(note)
    if note.author_id != by.pk:
        _require_supervisor(by, note)
    elif mode_for(by) is None:
        raise ValidationError("you have no supervisor to write to")
    section, text = _clean_comment(note, section, text)
    comment = _write_comment(by, note, section, text)
    log.record_by(by, "review.comment", target_type="review_comment", target_id=comment.pk,
                  client_id=note.client_id,
                  detail={"note": str(note.pk), "on_signed_note": note.is_signed})
    return comment


@transaction.atomic
def return_note(*, by: Any, note: ProgressNote,
                comments: list[tuple[str, str]]) -> NoteReview:
    """Send a draft back to its author with comments (section key, text): needs revision."""
    note, review = _locked(note)
    _require_supervisor(by, note)
    if note.is_signed:
        raise ValidationError("a signed note cannot be returned: leave feedback in its "
                              "thread; the author may add an addendum")
    if review is None or review.state != ReviewState.READY:
        raise ValidationError("only a note marked ready for review can be returned")
    cleaned = [_clean_comment(note, section, text) for section, text in comments
               if (text or "").strip()]
    if not cleaned:
        raise ValidationError("say what needs revision: write at least one comment")
    for section, text in cleaned:
        _write_comment(by, note, section, text)
    review.state, review.acted_by, review.updated_at = ReviewState.RETURNED, by, timezone.now()
    review.save()
    _step(by, note, ReviewStep.Action.RETURNED, "review.return", {"comments": len(cleaned)})
    return review


@transaction.atomic
def cosign(*, by: Any, note: ProgressNote, approve: bool = False) -> Cosignature:
    """The supervisor's signature under a supervisee's signed note. With `approve`, the
    approval that lets a held note into the record; a held note is approved either way."""
    note, review = _locked(note)
    _require_supervisor(by, note)
    if not note.is_signed:
        raise ValidationError("the author signs first; then a supervisor co-signs or approves")
    if Cosignature.objects.filter(note=note).exists():
        raise ValidationError("this note is already co-signed")
    held = review is not None and review.held
    if approve and not held:
        raise ValidationError("this note is not waiting for approval; co-sign it instead")
    now = timezone.now()
    kind = Cosignature.Kind.APPROVAL if held else Cosignature.Kind.COSIGNATURE
    signature = Cosignature(note=note, kind=kind, signed_by=by, signer_name=by.signature_name,
                            signed_at=now, note_hash=note.content_hash)
    signature.content_hash = signature.compute_hash()
    signature.save(force_insert=True)
    review = review or NoteReview(note=note)
    review.state = ReviewState.APPROVED if held else ReviewState.COSIGNED
    review.held, review.acted_by, review.updated_at = False, by, now
    review.save()
    action = ReviewStep.Action.APPROVED if held else ReviewStep.Action.COSIGNED
    _step(by, note, action, "note.cosign",
          {"kind": kind, "note_hash": note.content_hash,
           "content_hash": signature.content_hash})
    return signature
