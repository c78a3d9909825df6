"""The participants page of a couples or family session (ADR 0014). Only the session's own
clinician records participants; the care team reads them, by name, as part of the
identified client's record. Actions are in `visits.participants`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psynote.audit import log
from psynote.clients.access import Need, clients_for, deny
from psynote.visits import participants
from psynote.visits.access import get_session_for, get_session_to_change
from psynote.visits.models import SessionParticipant


@login_required
@require_http_methods(["GET", "POST"])
def session_participants(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_for(user, session_id, Need.CLINICAL)
    errors: list[str] = []
    mine = user.is_clinical and session.clinician_id == user.pk
    if request.method == "POST":
        if not mine:
            raise deny(user, "session", session_id, "own session")
        try:
            participants.add_participant(
                by=user, session=session, role=request.POST.get("role", ""),
                name=request.POST.get("name", ""),
                participant_client_id=request.POST.get("participant_client_id") or None)
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(request, "Participant added.")
            return redirect("session_participants", session_id=session.pk)
    log.record_by(user, "session.participant_list", target_type="session",
                  target_id=session.pk, client_id=session.client_id)
    context = {
        "session": session, "client": session.client, "errors": errors, "mine": mine,
        "participants": session.participants.select_related("participant_client"),
        "roles": SessionParticipant.Role.choices, "posted": request.POST,
        "family": session.service in participants.FAMILY_SERVICES,
        "clients": clients_for(user, Need.DEMOGRAPHICS, emergency=False)
        .exclude(pk=session.client_id).order_by("last_name", "first_name") if mine else [],
    }
    return render(request, "visits/session_participants.html", context,
                  status=400 if errors else 200)


@login_required
@require_POST
def session_participant_remove(request: HttpRequest, session_id: object,
                               participant_id: int) -> HttpResponse:
    session = get_session_to_change(request.user, session_id)
    if not request.user.is_clinical:
        raise deny(request.user, "session", session_id, "own session")
    participant = session.participants.filter(pk=participant_id).first()
    try:
        if participant is None:
            raise ValidationError("no such participant of this session")
        participants.remove_participant(by=request.user, participant=participant)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return redirect("session_participants", session_id=session.pk)
