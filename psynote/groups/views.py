"""Group pages: the groups you facilitate, a group's roster and sessions, and the group
session page where the note is written once and signed into each member's chart."""

from datetime import date, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psynote.audit import log
from psynote.clients.access import Need, clients_for
from psynote.groups import actions
from psynote.groups.access import get_group_for, get_group_session_for, groups_for
from psynote.groups.models import GroupAttendance
from psynote.notes.templates import RISK_LEVELS
from psynote.visits.models import Session


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _caseload(user: Any) -> Any:
    return clients_for(user, Need.WRITE_CLINICAL, emergency=False).order_by(
        "last_name", "first_name")


def _clinical(user: Any) -> None:
    if not user.is_clinical:
        log.record_by(user, "access.denied", target_type="group", target_id="",
                      detail={"need": "clinician"})
        raise Http404("Not found")


@login_required
@require_http_methods(["GET", "POST"])
def group_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _clinical(user)
    errors: list[str] = []
    if request.method == "POST":
        ids = request.POST.getlist("members")
        caseload = {str(c.pk): c for c in _caseload(user).filter(pk__in=[
            i for i in ids if len(i) == 36])}
        leaders = list(actions.facilitator_choices(user).filter(
            pk__in=[i for i in request.POST.getlist("facilitators") if i.isdigit()]))
        try:
            if any(i not in caseload for i in ids):
                raise ValidationError("a chosen member is not a client on your caseload")
            group = actions.create_group(by=user, name=request.POST.get("name", ""),
                                         members=[caseload[i] for i in ids],
                                         facilitators=leaders)
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, f"Group “{group.name}” created.")
            return redirect("group_detail", group_id=group.pk)
    log.record_by(user, "group.list", target_type="group", target_id="")
    context = {"groups": groups_for(user).prefetch_related("members"),
               "caseload": _caseload(user), "errors": errors, "posted": request.POST,
               "colleagues": actions.facilitator_choices(user).exclude(pk=user.pk)}
    return render(request, "groups/group_list.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, group_id: object) -> HttpResponse:
    """The roster and sessions; POST records a new session of the group."""
    user = request.user
    group = get_group_for(user, group_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            group_session = actions.create_group_session(
                by=user, group=group, date=_parse(date, request.POST.get("date")),
                start_time=_parse(time, request.POST.get("start_time")),
                end_time=_parse(time, request.POST.get("end_time")),
                modality=request.POST.get("modality", Session.Modality.IN_PERSON))
        except ValidationError as error:
            errors = _errors(error)
        else:
            return redirect("group_session", group_session_id=group_session.pk)
    log.record_by(user, "group.view", target_type="group", target_id=group.pk)
    on_roster = set(group.members.values_list("client_id", flat=True))
    context = {"group": group, "members": group.members.select_related("client"),
               "sessions": group.sessions.all(), "errors": errors,
               "addable": [c for c in _caseload(user) if c.pk not in on_roster],
               "modalities": Session.Modality.choices, "posted": request.POST}
    return render(request, "groups/group_detail.html", context, status=400 if errors else 200)


def _parse(kind: type, value: str | None) -> Any:
    try:
        return kind.fromisoformat(value or "")  # type: ignore[attr-defined]
    except ValueError:
        what = "date" if kind is date else "start and stop times"
        raise ValidationError(f"give the session's {what}") from None


@login_required
@require_POST
def group_member_add(request: HttpRequest, group_id: object) -> HttpResponse:
    group = get_group_for(request.user, group_id)
    client = _caseload(request.user).filter(pk=_uuid(request.POST.get("client_id"))).first()
    try:
        if client is None:
            raise ValidationError("choose a client on your caseload")
        actions.add_member(by=request.user, group=group, client=client)
    except ValidationError as error:
        messages.error(request, "; ".join(_errors(error)))
    return redirect("group_detail", group_id=group.pk)


@login_required
@require_POST
def group_member_remove(request: HttpRequest, group_id: object, client_id: object
                        ) -> HttpResponse:
    group = get_group_for(request.user, group_id)
    member = group.members.filter(client_id=client_id).select_related("client").first()
    if member is None:
        raise Http404("Not found")
    actions.remove_member(by=request.user, group=group, client=member.client)
    messages.success(request, "Removed from the roster; past sessions keep their attendance.")
    return redirect("group_detail", group_id=group.pk)


def _uuid(value: str | None) -> str | None:
    return value if value and len(value) == 36 else None


def _member_parts(request: HttpRequest, rows: list[GroupAttendance]) -> list[dict[str, Any]]:
    parts = []
    for row in rows:
        p = f"m-{row.client_id}-"
        part: dict[str, Any] = {"client_id": row.client_id,
                                "attendance": request.POST.get(p + "attendance", row.attendance),
                                "individual": request.POST.get(p + "individual", "")}
        if request.POST.get(p + "risk_flagged"):
            part["risk"] = {"flagged": True, "level": request.POST.get(p + "risk_level", ""),
                            "protective_factors": request.POST.get(p + "protective", ""),
                            "safety_plan": request.POST.get(p + "safety_plan", "")}
        if reason := request.POST.get(p + "no_objective_reason", "").strip():
            part["no_objective_reason"] = reason
        parts.append(part)
    return parts


@login_required
@require_http_methods(["GET", "POST"])
def group_session(request: HttpRequest, group_session_id: object) -> HttpResponse:
    """The note of the session, written once: POST saves the draft, and with `sign` signs
    it into each attending member's chart."""
    user = request.user
    gs = get_group_session_for(user, group_session_id)
    errors: list[str] = []
    if request.method == "POST":
        rows = list(gs.attendance.select_related("client"))
        try:
            actions.save_group_session(by=user, group_session=gs,
                                       shared=request.POST.get("shared", ""),
                                       plan=request.POST.get("plan", ""),
                                       members=_member_parts(request, rows))
            if "sign" in request.POST:
                actions.sign_group_session(by=user, group_session=gs,
                                           late_reason=request.POST.get("late_reason", ""))
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, "Signed: each attending member's note is in their chart."
                             if "sign" in request.POST else "Draft saved.")
            return redirect("group_session", group_session_id=gs.pk)
    log.record_by(user, "group_session.view", target_type="group_session", target_id=gs.pk)
    rows = list(gs.attendance.select_related("client", "session__progress_note"))
    attended = [r for r in rows if r.attendance == GroupAttendance.Attendance.ATTENDED]
    context = {"gs": gs, "rows": rows, "errors": errors,
               "shared": request.POST.get("shared") if errors else (
                   attended[0].shared if attended else ""),
               "plan": request.POST.get("plan") if errors else (
                   attended[0].plan if attended else ""),
               "attendance_choices": GroupAttendance.Attendance.choices,
               "risk_levels": RISK_LEVELS, "editable": not gs.is_signed
               and gs.facilitator_id == user.pk}
    return render(request, "groups/group_session.html", context, status=400 if errors else 200)
