"""What the supervision panel under a progress note shows the user looking at it."""

from typing import Any

from psynote.supervision.access import is_supervisor_of, mode_for
from psynote.supervision.models import Cosignature, NoteReview, ReviewState


def _one(note: Any, name: str) -> Any:
    """The note's review or co-signature, or None: no query when the note was fetched with
    it (`select_related`, as the note's page does)."""
    try:
        return getattr(note, name)
    except (NoteReview.DoesNotExist, Cosignature.DoesNotExist):
        return None


def panel_context(user: Any, note: Any) -> dict[str, Any]:
    review = _one(note, "supervision_review")
    cosignature = _one(note, "cosignature")
    is_author = note.author_id == user.pk
    supervises = not is_author and is_supervisor_of(user, note.author)
    author_supervised = is_author and mode_for(user) is not None
    # An unsupervised author sees no review box unless the note has a review already.
    involved = supervises or (is_author and (author_supervised or review is not None))
    labels = {s.key: s.label for s in note.template_def.sections}
    comments = []
    if involved:
        for comment in note.review_comments.select_related("author", "note__client"):
            comments.append({"section": labels.get(comment.section, "Whole note"),
                             "author": comment.author.signature_name,
                             "at": comment.created_at, "body": comment.body(),
                             "on_signed_note": comment.on_signed_note})
    state = review.state if review else ""
    signed = note.is_signed
    return {
        "note": note,
        "review": review,
        "cosignature": cosignature,
        "involved": involved,
        "comments": comments,
        "steps": list(note.review_steps.select_related("by")) if involved else [],
        "sections": list(labels.items()),
        "can_mark_ready": author_supervised and not signed and state != ReviewState.READY,
        "can_return": supervises and not signed and state == ReviewState.READY,
        "can_approve": supervises and review is not None and review.held,
        "can_cosign": supervises and signed and cosignature is None
        and not (review is not None and review.held),
        "can_comment": supervises or author_supervised,
    }
