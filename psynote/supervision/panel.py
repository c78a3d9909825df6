"""What the supervision panel under a progress note shows the user looking at it."""

from typing import Any

from psynote.supervision.access import is_supervisor_of, mode_for
from psynote.supervision.models import Cosignature, NoteReview, ReviewState


def panel_context(user: Any, note: Any) -> dict[str, Any]:
    review = NoteReview.objects.filter(note=note).first()
    cosignature = Cosignature.objects.filter(note=note).first()
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
