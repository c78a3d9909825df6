"""Recording and editing sessions. The session page itself shows the progress note's
status and starts the note, so it lives with the chart (`psynote.chart.views`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from psynote.clients.access import get_client_for
from psynote.clients.models import CareTeamMember
from psynote.lib.forms import add_errors
from psynote.visits import actions
from psynote.visits.access import (
    default_attendance,
    get_session_to_change,
    names_clinician,
    recording_need,
    session_clinicians,
)
from psynote.visits.forms import SessionForm


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, client_id: object) -> HttpResponse:
    user = request.user
    client = get_client_for(user, client_id, recording_need(user))
    clinicians = session_clinicians(client) if names_clinician(user) else None
    initial = {"date": timezone.localdate(), "attendance": default_attendance(user)}
    if clinicians is not None:
        initial["clinician"] = (
            client.care_team.filter(role=CareTeamMember.Role.PRIMARY)
            .values_list("user", flat=True)
            .first()
        )
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        clinicians=clinicians,
        initial=initial,
    )
    context = {"form": form, "client": client, "new": True}
    if request.method == "POST":
        if form.is_valid():
            clinician = form.cleaned_data["clinician"] if clinicians is not None else user
            try:
                session = actions.create_session(
                    by=user, client=client, clinician=clinician, **form.session_fields()
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Session of {session.date:%Y-%m-%d} recorded.")
                return redirect("session_detail", session_id=session.pk)
        return render(request, "visits/session_form.html", context, status=400)
    return render(request, "visits/session_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_to_change(user, session_id)
    note = getattr(session, "progress_note", None)
    locked = note is not None and note.is_signed
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial=model_to_dict(session, fields=actions.FIELDS),
    )
    context = {
        "form": form,
        "client": session.client,
        "session": session,
        "new": False,
        "locked": locked,
    }
    if request.method == "POST":
        if form.is_valid():
            if not form.changed_data:
                messages.info(request, "Nothing was changed.")
                return redirect("session_detail", session_id=session.pk)
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                actions.update_session(by=user, session=session, **changes)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Session saved.")
                return redirect("session_detail", session_id=session.pk)
        return render(request, "visits/session_form.html", context, status=400)
    return render(request, "visits/session_form.html", context)
