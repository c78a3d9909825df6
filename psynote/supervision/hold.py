"""What signing does to a supervisee's note: in "approve before record" mode it is held
out of the record until approved; in "co-sign required" mode it is flagged until
co-signed. Runs in the signing transaction (a post_save receiver on the progress note),
so the note is never, even for an instant, in the record without its hold."""

from typing import Any

from django.utils import timezone

from psynote.audit import log
from psynote.supervision.access import mode_for
from psynote.supervision.models import Mode, NoteReview, ReviewState, ReviewStep

_STATE_AT_SIGNING = {
    Mode.APPROVE_BEFORE_RECORD: ReviewState.AWAITING_APPROVAL,
    Mode.COSIGN_REQUIRED: ReviewState.AWAITING_COSIGNATURE,
}


def on_note_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # A note is saved with signed_at set exactly once: when its author signs it (a signed
    # note refuses any later save). Notes created already signed come from an import and
    # keep the state they were exported in.
    if created or instance.signed_at is None or kwargs.get("raw"):
        return
    mode = mode_for(instance.author)
    review = NoteReview.objects.filter(note=instance).first()
    if mode is None and review is None:
        return
    state = _STATE_AT_SIGNING.get(mode)
    if state is None:
        # Review mode: a note marked ready stays ready for the supervisor to read and
        # perhaps co-sign; a returned one the author signed anyway is simply signed.
        state = ReviewState.READY if review and review.state == ReviewState.READY \
            else ReviewState.SIGNED
    review = review or NoteReview(note=instance)
    review.state = state
    review.mode_at_signing = mode or ""
    review.held = state == ReviewState.AWAITING_APPROVAL
    review.updated_at = timezone.now()
    review.save()
    ReviewStep.objects.create(note=instance, action=ReviewStep.Action.SIGNED,
                              by=instance.author)
    log.record_by(instance.author, "review.signed", target_type="progress_note",
                  target_id=instance.pk, client_id=instance.client_id,
                  detail={"state": state, "held": review.held})
