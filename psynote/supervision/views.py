"""Supervision pages: the review hand-offs under a note, the review queue, and who
supervises a user in which mode. Thin views over `actions`; notes are fetched through
`queries.get_note_under_review` (its author or a supervisor of its author)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psynote.accounts.models import Role, User
from psynote.audit import log
from psynote.supervision import actions
from psynote.supervision.access import get_supervisee_for, supervisees_of
from psynote.supervision.models import Mode, Supervision
from psynote.supervision.queries import (
    get_note_under_review,
    notes_awaiting_review,
    notes_returned_for_revision,
)


def _done(request: HttpRequest, note: Any, work: Any, success: str) -> HttpResponse:
    try:
        work()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(f"/notes/{note.pk}/#review")


@login_required
@require_POST
def review_ready(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_under_review(request.user, note_id)
    return _done(request, note, lambda: actions.mark_ready(by=request.user, note=note),
                 "Marked ready for review: your supervisor sees it in their queue.")


@login_required
@require_POST
def review_return(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_under_review(request.user, note_id)
    comments = [(name.removeprefix("comment_"), value) for name, value in request.POST.items()
                if name.startswith("comment_")]
    return _done(request, note,
                 lambda: actions.return_note(by=request.user, note=note, comments=comments),
                 "Returned for revision with your comments.")


@login_required
@require_POST
def review_comment(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_under_review(request.user, note_id)
    return _done(request, note, lambda: actions.add_comment(
        by=request.user, note=note, section=request.POST.get("section", ""),
        text=request.POST.get("body", "")), "Comment added.")


@login_required
@require_POST
def review_approve(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_under_review(request.user, note_id)
    return _done(request, note, lambda: actions.cosign(by=request.user, note=note, approve=True),
                 "Approved and signed: the note is now part of the record.")


@login_required
@require_POST
def review_cosign(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_under_review(request.user, note_id)
    return _done(request, note, lambda: actions.cosign(by=request.user, note=note),
                 "Co-signed.")


@login_required
@require_http_methods(["GET"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """Returned notes first (the author's to-do), then what waits for the supervisor."""
    returned = list(notes_returned_for_revision(request.user))
    awaiting = list(notes_awaiting_review(request.user))
    log.record_by(request.user, "review.queue", detail={
        "returned": len(returned), "awaiting": len(awaiting)})
    return render(request, "supervision/queue.html", {
        "returned": returned, "awaiting": awaiting,
        "supervisees": supervisees_of(request.user).order_by("last_name", "first_name")})


def _supervisor_choices(user: Any, supervisee: User) -> Any:
    candidates = User.objects.filter(practice_id=supervisee.practice_id, role=Role.SUPERVISOR,
                                     is_active=True).exclude(pk=supervisee.pk)
    if user.role != Role.ADMIN:
        candidates = candidates.filter(pk=user.pk)
    return candidates.order_by("last_name", "first_name")


@login_required
@require_http_methods(["GET", "POST"])
def supervision_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Admin: any user's supervisors and modes. Supervisor: the mode of their own
    supervisee (and ending their own supervision of them)."""
    user = request.user
    supervisee = get_supervisee_for(user, user_id)
    rows = Supervision.objects.filter(supervisee=supervisee).select_related("supervisor")
    if user.role != Role.ADMIN:
        rows = rows.filter(supervisor=user)
    errors: list[str] = []
    if request.method == "POST":
        try:
            _apply(request, supervisee, rows)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, "Supervision saved.")
            return redirect("supervision_user", user_id=supervisee.pk)
    else:
        log.record_by(user, "supervision.view", target_type="user", target_id=supervisee.pk)
    return render(request, "supervision/user.html", {
        "supervisee": supervisee, "rows": rows, "modes": Mode.choices, "errors": errors,
        "candidates": _supervisor_choices(user, supervisee).exclude(
            pk__in=[r.supervisor_id for r in rows]) if user.role == Role.ADMIN else [],
    }, status=400 if errors else 200)


def _apply(request: HttpRequest, supervisee: User, rows: Any) -> None:
    post, user = request.POST, request.user
    if post.get("end"):
        row = rows.filter(supervisor_id=post["end"] if post["end"].isdigit() else 0).first()
        if row is None:
            raise ValidationError("no such supervision to end")
        actions.end_supervision(by=user, supervision=row)
        return
    supervisor_id = post.get("supervisor", "")
    choices = _supervisor_choices(user, supervisee)
    supervisor = choices.filter(pk=supervisor_id).first() if supervisor_id.isdigit() else None
    if supervisor is None:
        raise ValidationError("choose a supervisor of this practice")
    actions.set_supervision(by=user, supervisor=supervisor, supervisee=supervisee,
                            mode=post.get("mode", ""))
