"""Pages that compose the record: the day's dashboard, the caseload, the client chart
and the session page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from psynote.audit import log
from psynote.chart import handoff_views, timeline
from psynote.chart.caseload import caseload_for
from psynote.chart.dashboard import dashboard_for
from psynote.clients.access import Need, active_emergency_access, can, get_client_for
from psynote.clients.forms import DiagnosisForm, DiagnosisStatusForm
from psynote.measures import outcomes as measure_outcomes
from psynote.notes.access import notes_for
from psynote.notes.template_actions import offered_versions
from psynote.plans import queries as plan_queries
from psynote.records.views import destroyed_record
from psynote.visits.access import get_session_for
from psynote.visits.models import Session


@login_required
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_clinical:
        raise Http404("Not found")
    result = caseload_for(user)
    # Risk flags and diagnoses of many clients at once: one event for the whole list.
    log.record_by(
        user,
        "caseload.view",
        target_type="user",
        target_id=user.pk,
        detail={"clients": len(result.own) + len(result.supervised)},
    )
    return render(request, "chart/caseload.html", {"caseload": result})


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The clinician's day (`chart.dashboard`): their home page."""
    user = request.user
    if not user.is_clinical:
        raise Http404("Not found")
    result = dashboard_for(user)
    log.record_by(user, "dashboard.view", target_type="user", target_id=user.pk,
                  detail={"owed": result.owed})
    return render(request, "chart/dashboard.html", {"board": result})


@login_required
@require_GET
def client_chart(request: HttpRequest, client_id: object) -> HttpResponse:
    user = request.user
    client = get_client_for(user, client_id, Need.DEMOGRAPHICS)
    if client.is_destroyed:  # nothing left to open: show the tombstone instead
        return destroyed_record(request, client)
    clinical = can(user, client, Need.CLINICAL)
    schedule = clinical or can(user, client, Need.SCHEDULE)
    writes = clinical and can(user, client, Need.WRITE_CLINICAL)
    care_team = list(
        client.care_team.select_related("user").order_by("-role", "user__last_name")
    )
    context = {
        "client": client,
        "care_team": care_team,
        "handoff_offer": handoff_views.offer(user, client, care_team) if clinical else None,
        "clinical": clinical,
        "schedule": schedule,
        "writes": writes,
        # Read-only under emergency access: no disclosures tab (ADR 0008).
        "emergency_grant": active_emergency_access(user, client) if clinical and not writes
        else None,
        "can_edit": can(user, client, Need.EDIT_DEMOGRAPHICS),
        "can_manage_team": can(user, client, Need.MANAGE_CARE_TEAM),
        # Clinicians record their own sessions; front desk schedules them.
        "can_add_session": writes or (schedule and not user.is_clinical),
    }
    # `can` has decided this client (it agrees with `sessions_for`, whose care-team
    # subquery would only be compiled and run again for the same answer).
    if clinical:
        sessions = timeline.rows(timeline.with_notes(Session.objects.filter(client=client)))
        for session in sessions:
            session.note_status = timeline.note_status(session)
        context |= {
            "sessions": sessions,
            "diagnoses": client.diagnoses.select_related("added_by").in_chart_order(),
            "diagnosis_form": DiagnosisForm(),
            "status_choices": DiagnosisStatusForm.base_fields["status"].choices,
            # Open risk alerts (critical answers on a measure) and the latest scores.
            "risk_alerts": [
                (alert, alert.reasons())
                for alert in measure_outcomes.open_alerts([client]).get(client.pk, [])
            ],
            "latest_scores": list(
                measure_outcomes.latest_scores([client]).get(client.pk, {}).values()
            ),
            "plan_review": plan_queries.review_status(client),
        }
        scope = "clinical"
    elif schedule:
        # Front desk: the schedule only, never note status or content.
        context["sessions"] = timeline.rows(
            Session.objects.filter(client=client)
            .prefetch_related("clinician")
            .order_by("-date", "-start_time")
        )
        scope = "schedule"
    else:
        scope = "demographics"
    log.record_by(
        user,
        "client.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"scope": scope},
    )
    return render(request, "chart/client_chart.html", context)


@login_required
@require_GET
def session_detail(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_for(user, session_id, Need.SCHEDULE)
    client = session.client
    clinical = can(user, client, Need.CLINICAL)
    own = session.clinician_id == user.pk
    writes = own and can(user, client, Need.WRITE_CLINICAL)
    note = getattr(session, "progress_note", None) if clinical else None
    # A note held for a supervisor's approval is not in the record for this user.
    held = note is not None and not notes_for(user).filter(pk=note.pk).exists()
    note = None if held else note
    context = {
        "note_held": held,
        "session": session,
        "client": client,
        "clinical": clinical,
        "note": note,
        "addenda_count": note.addenda.count() if note is not None else 0,
        "suggestion": session.cpt_suggestion(),
        # Front desk corrects the schedule; a clinician only their own sessions.
        "can_edit": writes if user.is_clinical else True,
        "can_write_note": (
            writes and note is None and session.attendance == Session.Attendance.ATTENDED
        ),
        "templates": [(v.template.key, v.name) for v in
                      offered_versions(client.practice_id, session.service)],
    }
    log.record_by(
        user, "session.view", target_type="session", target_id=session.pk, client_id=client.pk
    )
    return render(request, "chart/session_detail.html", context)
