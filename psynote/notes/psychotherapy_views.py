"""Psychotherapy-note pages: a clinician's own notes about a client, kept apart from the record.

Only the author ever reads or edits one: `get_psychotherapy_note_for` 404s (and audits)
for anyone else, and the list shows only the user's own, on clients whose care team they
are on. Every page writes its audit event here; bad input re-renders the page with the
message and status 400.

The text opens only with the author's key, open in this session (ADR 0009). Without it
the pages show the notes' dates and why they are sealed, with the way to open them (the
psychotherapy-key page), never the text: a sealed note's page answers 403, a write is
refused with 403, and the attempt is audited as `psychotherapy_note.sealed`.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from psynote.audit import log
from psynote.clients.access import Need, get_client_for
from psynote.notes import actions, psychotherapy_keys
from psynote.notes.access import get_psychotherapy_note_for, psychotherapy_notes_for
from psynote.visits.access import sessions_for
from psynote.visits.models import Session


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _key_context(request: HttpRequest) -> dict[str, Any]:
    state = psychotherapy_keys.state(request.user)
    row = psychotherapy_keys.key_row(request.user)
    return {"key_state": state, "key": row, "is_open": state == "open",
            "here": request.get_full_path()}


def _sealed_attempt(request: HttpRequest, target_type: str, target_id: Any,
                    client_id: Any) -> None:
    log.record_by(request.user, "psychotherapy_note.sealed", target_type=target_type,
                  target_id=target_id, client_id=client_id)


def _pick_session(sessions: Any, value: str) -> Session | None:
    try:
        return sessions.filter(pk=value).first()
    except (ValidationError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def psychotherapy_note_list(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    sessions = sessions_for(request.user, Need.WRITE_CLINICAL).filter(client=client)
    errors: list[str] = []
    body = session_value = ""
    key = _key_context(request)
    status = 200
    if request.method == "POST" and not key["is_open"]:
        _sealed_attempt(request, "client", client.pk, client.pk)
        errors, status = [psychotherapy_keys.SEALED_HERE], 403
    elif request.method == "POST":
        body = request.POST.get("body", "")
        session_value = request.POST.get("session", "").strip()
        session = _pick_session(sessions, session_value) if session_value else None
        if session_value and session is None:
            errors = ["Choose one of this client's sessions, or none."]
        else:
            try:
                actions.write_psychotherapy_note(
                    by=request.user, client=client, body=body, session=session
                )
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(request, "Psychotherapy note saved. Only you can read it.")
                return redirect("psychotherapy_note_list", client_id=client.pk)
    notes = (
        psychotherapy_notes_for(request.user)
        .filter(client=client)
        .select_related("session", "author")
    )
    log.record_by(
        request.user,
        "psychotherapy_note.list",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
    )
    context = {
        "client": client,
        "notes": notes,
        "sessions": sessions.order_by("-date", "-start_time"),
        "errors": errors,
        "body": body,
        "session_value": session_value,
        **key,
    }
    if errors and status == 200:
        status = 400
    return render(request, "notes/psychotherapy_note_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def psychotherapy_note_detail(request: HttpRequest, pnote_id: Any) -> HttpResponse:
    note = get_psychotherapy_note_for(request.user, pnote_id)
    key = _key_context(request)
    if not key["is_open"]:
        _sealed_attempt(request, "psychotherapy_note", note.pk, note.client_id)
        context = {"note": note, "client": note.client, "body": "", "errors": [], **key}
        return render(request, "notes/psychotherapy_note_detail.html", context, status=403)
    errors: list[str] = []
    body = None
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            actions.write_psychotherapy_note(
                by=request.user, client=note.client, body=body, note=note
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, "Psychotherapy note saved.")
            return redirect("psychotherapy_note_detail", pnote_id=note.pk)
    log.record_by(
        request.user,
        "psychotherapy_note.view",
        target_type="psychotherapy_note",
        target_id=note.pk,
        client_id=note.client_id,
    )
    context = {
        "note": note,
        "client": note.client,
        "body": note.body() if body is None else body,
        "errors": errors,
        **key,
    }
    return render(
        request, "notes/psychotherapy_note_detail.html", context, status=400 if errors else 200
    )
