"""Progress-note pages: starting, editing, signing and reading a note, and its addenda.

Every object comes through an access function (404 + audit for anything out of reach),
every write goes through `notes.actions`, and every page that shows clinical content
writes its audit event here. Bad input re-renders the page with the message and status
400; the actions are atomic, so nothing is half-written.

Who may do what on a progress note:
- the author edits and signs their own draft;
- anyone who may read the client's record (care team, the supervisor of a supervisee)
  reads the note;
- any clinician on the client's care team (Need.WRITE_CLINICAL) may add an addendum under
  a signed note: corrections and later information often come from a colleague who saw
  the client next. A supervisor reading a supervisee's client is not on that care team,
  so they read but do not write.

Psychotherapy notes, the author's alone, have their own pages (`psychotherapy_views`).
"""

from datetime import date, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from psynote.audit import log
from psynote.clients import icd10
from psynote.clients.access import Need, can, get_client_for
from psynote.clients.models import Diagnosis
from psynote.measures.outcomes import open_alerts as open_risk_alerts
from psynote.notes import actions, carry
from psynote.notes.access import get_note_for, get_note_page_for, notes_for
from psynote.notes.changes import changes_from_form, shown_content
from psynote.notes.content import OBJECTIVE_RATINGS, completeness_problems, risk_is_flagged
from psynote.notes.models import Addendum, ProgressNote
from psynote.notes.template_actions import offered_versions
from psynote.notes.templates import (
    HI_CHOICES,
    INTERVENTIONS,
    MSE_FIELDS,
    RISK_LEVELS,
    RISK_TEXT_FIELDS,
    SI_CHOICES,
    empty_content,
)
from psynote.plans.queries import active_objectives
from psynote.visits.access import get_session_for
from psynote.visits.models import Session

LOCKED_MESSAGE = "This note is signed and locked; add an addendum"


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _audit_view(user: Any, note: ProgressNote) -> None:
    log.record_by(
        user, "note.view", target_type="progress_note", target_id=note.pk, client_id=note.client_id
    )


# --- what the pages show -----------------------------------------------------------------


def _label(choices: Any, value: str) -> str:
    return dict(choices).get(value, value)


def _chart_diagnoses(note: ProgressNote) -> list[Diagnosis]:
    return list(note.client.diagnoses.exclude(status=Diagnosis.Status.RULED_OUT))


def _with_participants(note: ProgressNote, snapshot: dict[str, Any] | None) -> str:
    """A couples or family session's other participants, by role (ADR 0014)."""
    roles = (snapshot or {}).get("participants") if note.is_signed else [
        p.get_role_display() for p in note.session.participants.all()]
    return f"; with: {', '.join(roles)}" if roles else ""


def _session_facts(note: ProgressNote, content: dict[str, Any]) -> dict[str, Any]:
    """Session facts: as signed (a snapshot in the note) or, for a draft, as they are now."""
    snapshot = content.get("session") if note.is_signed else None
    if snapshot:
        session = Session(
            date=date.fromisoformat(snapshot["date"]),
            start_time=time.fromisoformat(snapshot["start"]) if snapshot.get("start") else None,
            end_time=time.fromisoformat(snapshot["end"]) if snapshot.get("end") else None,
            service=snapshot.get("service", ""),
            modality=snapshot.get("modality", ""),
            place=snapshot.get("place", ""),
        )
        cpt_codes, cpt_reason = note.cpt_code, ""
        attendance = ""
    else:
        session = note.session
        suggestion = session.cpt_suggestion()
        cpt_codes, cpt_reason = suggestion.text, suggestion.reason
        attendance = session.get_attendance_display()
    return {
        "session_id": note.session_id,
        "date": session.date,
        "start": session.start_time,
        "end": session.end_time,
        "minutes": session.minutes,
        "service": session.get_service_display() + _with_participants(note, snapshot),
        "modality": session.get_modality_display(),
        "place": session.get_place_display(),
        "attendance": attendance,
        "pos_code": session.pos_code,
        "telehealth_modifier": session.telehealth_modifier,
        "cpt": cpt_codes,
        "cpt_reason": cpt_reason,
        "signed_snapshot": bool(snapshot),
    }


def _editor_context(note: ProgressNote, content: dict[str, Any]) -> dict[str, Any]:
    content = empty_content(note.template_def) | content
    chart = _chart_diagnoses(note)
    chosen = set(content.get("diagnosis_codes") or [])
    chart_codes = {d.code for d in chart}
    risk = content["risk"]
    risk_text_filled = any(str(risk.get(key, "")).strip() for key, _ in RISK_TEXT_FIELDS)
    carried = carry.carried_keys(content)
    return {
        "note": note,
        "client": note.client,
        "sections": [
            {
                "key": s.key,
                "label": s.label,
                "prompt": s.prompt,
                "required": s.required,
                "value": content["sections"].get(s.key, ""),
                "carried": s.key in carried,
            }
            for s in note.template_def.sections
        ],
        "carried_from": carry.carried_from(content),
        "mse": [
            {"key": key, "label": label, "value": content["mse"].get(key, "")}
            for key, label in MSE_FIELDS
        ],
        "risk": risk,
        # An open risk alert from a measure needs the risk block in this note too.
        "risk_open": risk_is_flagged(content)
        or risk_text_filled
        or bool(open_risk_alerts([note.client_id])),
        "risk_text": [
            {"key": key, "label": label, "value": risk.get(key, "")}
            for key, label in RISK_TEXT_FIELDS
        ],
        "si_choices": SI_CHOICES,
        "hi_choices": HI_CHOICES,
        "risk_levels": RISK_LEVELS,
        "interventions": [
            {"key": key, "label": label, "checked": key in (content.get("interventions") or [])}
            for key, label in INTERVENTIONS
        ],
        "interventions_other": content.get("interventions_other", ""),
        "diagnoses": [
            {
                "code": d.code,
                "description": d.description,
                "status": d.get_status_display(),
                "primary": d.is_primary,
                "checked": d.code in chosen,
            }
            for d in chart
        ],
        "dropped_codes": sorted(chosen - chart_codes),
        "facts": _session_facts(note, content),
        **_objectives_context(note, content),
    }


def _objectives_context(note: ProgressNote, content: dict[str, Any]) -> dict[str, Any]:
    """The treatment-plan block of the editor: each open objective with its rating."""
    rated = {e["objective_key"]: e for e in content.get("objectives") or []}
    open_objectives = active_objectives(note.client)
    open_keys = {o.key for o in open_objectives}
    return {
        "plan_objectives": [
            {
                "key": o.key,
                "text": o.text,
                "goal_text": o.goal_text,
                "target": o.target,
                "target_date": o.target_date,
                "rating": rated.get(o.key, {}).get("rating", ""),
                "comment": rated.get(o.key, {}).get("comment", ""),
            }
            for o in open_objectives
        ],
        "rating_choices": OBJECTIVE_RATINGS,
        "dropped_objectives": [
            e.get("objective", "") for key, e in rated.items() if key not in open_keys
        ],
        "no_objective_reason": content.get("no_objective_reason", ""),
    }


def _detail_context(user: Any, note: ProgressNote) -> dict[str, Any]:
    content = empty_content(note.template_def) | note.content()
    risk = content["risk"]
    codes = content.get("diagnosis_codes") or []
    # Each diagnosis on the chart is sealed: opened only when the note names codes.
    chart = {d.code: d.description for d in note.client.diagnoses.all()} if codes else {}
    signed = note.is_signed
    carried = carry.carried_keys(content)
    return {
        "note": note,
        "client": note.client,
        "sections": [
            {"label": s.label, "value": content["sections"].get(s.key, ""),
             "carried": s.key in carried}
            for s in note.template_def.sections
        ],
        "carried_from": carry.carried_from(content),
        "mse": [
            {"label": label, "value": content["mse"].get(key, "")} for key, label in MSE_FIELDS
        ],
        "mse_recorded": any(str(v).strip() for v in content["mse"].values()),
        "risk_flagged": risk_is_flagged(content),
        "risk_si": _label(SI_CHOICES, risk.get("si", "none")),
        "risk_hi": _label(HI_CHOICES, risk.get("hi", "none")),
        "risk_level": _label(RISK_LEVELS, risk.get("level", "")),
        "risk_text": [
            {"label": label, "value": risk.get(key, "")}
            for key, label in RISK_TEXT_FIELDS
            if str(risk.get(key, "")).strip()
        ],
        "interventions": [
            label for key, label in INTERVENTIONS if key in (content.get("interventions") or [])
        ],
        "interventions_other": content.get("interventions_other", ""),
        "diagnoses": [
            {"code": code, "description": chart.get(code) or icd10.describe(code) or ""}
            for code in codes
        ],
        "late_reason": content.get("late_reason", ""),
        "objectives": [
            e | {"rating_label": _label(OBJECTIVE_RATINGS, e.get("rating", ""))}
            for e in content.get("objectives") or []
        ],
        "no_objective_reason": content.get("no_objective_reason", ""),
        "facts": _session_facts(note, content),
        # Addenda go under signed notes only: a draft has none to fetch.
        "addenda": list(note.addenda.select_related("author")) if signed else [],
        "addendum_kinds": Addendum.Kind.choices,
        "is_author": note.author_id == user.pk,
        "can_edit": not signed and note.author_id == user.pk,
        "can_add_addendum": signed and _writes_record(user, note),
    }


def _writes_record(user: Any, note: ProgressNote) -> bool:
    """Whether the user writes the client's record (the care team): answered by the note's
    own query when it came from `get_note_page_for`, else asked here."""
    known = getattr(note, "user_writes_record", None)
    return bool(known) if known is not None else can(user, note.client, Need.WRITE_CLINICAL)


def _render_detail(
    request: HttpRequest, note: ProgressNote, status: int = 200, **extra: Any
) -> HttpResponse:
    _audit_view(request.user, note)
    context = _detail_context(request.user, note) | extra
    return render(request, "notes/note_detail.html", context, status=status)


# --- progress notes ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def note_start(request: HttpRequest, session_id: Any) -> HttpResponse:
    """Choose a template and start the session's progress note (GET shows the choice)."""
    session = get_session_for(request.user, session_id, Need.WRITE_CLINICAL)
    errors: list[str] = []
    chosen = request.POST.get("template", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            note = actions.start_note(by=request.user, session=session, template=chosen,
                                      carry_sections=request.POST.getlist("carry"))
        except ValidationError as error:
            errors = _errors(error)
        else:
            return redirect("note_edit", note_id=note.pk)
    existing = notes_for(request.user).filter(session=session).first()
    context = {
        "session": session,
        "client": session.client,
        "templates": [v.definition() for v in
                      offered_versions(session.client.practice_id, session.service)],
        "chosen": chosen or "soap",
        "existing": existing,
        "errors": errors,
    } | carry.start_context(session, request.POST.getlist("carry"))
    return render(request, "notes/note_start.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_for(request.user, note_id, write=True)
    if note.is_signed:
        messages.warning(request, LOCKED_MESSAGE)
        return redirect("note_detail", note_id=note.pk)
    errors: list[str] = []
    content = note.content()
    if request.method == "POST":
        changes, errors = changes_from_form(request.POST)
        if not errors:
            try:
                note = actions.save_draft(by=request.user, note=note, changes=changes)
            except ValidationError as error:
                errors = _errors(error)
        if not errors:
            if request.POST.get("then") == "sign":
                return redirect("note_sign", note_id=note.pk)
            messages.success(request, "Draft saved.")
            return redirect("note_edit", note_id=note.pk)
        content = shown_content(content, changes)
    _audit_view(request.user, note)
    context = _editor_context(note, content) | {"errors": errors}
    return render(request, "notes/note_edit.html", context, status=400 if errors else 200)


@login_required
@require_POST
def note_autosave(request: HttpRequest, note_id: Any) -> JsonResponse:
    note = get_note_for(request.user, note_id, write=True)
    if note.is_signed:
        return JsonResponse({"error": LOCKED_MESSAGE}, status=409)
    changes, problems = changes_from_form(request.POST)
    if problems:
        return JsonResponse({"error": "; ".join(problems)}, status=400)
    try:
        note = actions.save_draft(by=request.user, note=note, changes=changes)
    except ValidationError as error:
        # The note may have been signed in another tab between the two reads.
        status = 409 if "signed and locked" in " ".join(error.messages) else 400
        return JsonResponse({"error": "; ".join(error.messages)}, status=status)
    saved_at = timezone.localtime(note.updated_at).strftime("%H:%M:%S")
    return JsonResponse({"ok": True, "saved_at": saved_at})


@login_required
@require_http_methods(["GET"])
def note_detail(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_page_for(request.user, note_id)
    return _render_detail(request, note)


@login_required
@require_http_methods(["GET", "POST"])
def note_sign(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_for(request.user, note_id, write=True)
    if note.is_signed:
        messages.info(request, "This note is already signed; add an addendum to change it.")
        return redirect("note_detail", note_id=note.pk)
    errors: list[str] = []
    late_reason = ""
    no_objective_reason = note.content().get("no_objective_reason", "")
    if request.method == "POST":
        late_reason = request.POST.get("late_reason", "")
        no_objective_reason = request.POST.get("no_objective_reason", no_objective_reason)
        try:
            note = actions.sign_note(
                by=request.user,
                note=note,
                late_reason=late_reason,
                no_objective_reason=no_objective_reason,
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(
                request, "Progress note signed. It is now locked; changes go in an addendum."
            )
            return redirect("note_detail", note_id=note.pk)
    context = {
        "note": note,
        "client": note.client,
        "problems": completeness_problems(note.template_def, note.content(), note.session),
        "late": actions.is_late(note),
        "late_hours": actions.late_entry_hours(note),
        "late_reason": late_reason,
        "needs_objective_reason": not note.content().get("objectives")
        and actions.objectives_required(note),
        "no_objective_reason": no_objective_reason,
        "errors": errors,
        "facts": _session_facts(note, note.content()),
    }
    return render(request, "notes/note_sign.html", context, status=400 if errors else 200)


@login_required
@require_POST
def addendum_add(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_for(request.user, note_id)
    # Reading the record is not enough: addenda come from the client's care team.
    get_client_for(request.user, note.client_id, Need.WRITE_CLINICAL)
    kind = request.POST.get("kind", Addendum.Kind.CORRECTION)
    body = request.POST.get("body", "")
    try:
        actions.add_addendum(by=request.user, note=note, body=body, kind=kind)
    except ValidationError as error:
        return _render_detail(
            request,
            note,
            status=400,
            addendum_errors=_errors(error),
            addendum_body=body,
            addendum_kind=kind,
        )
    messages.success(request, "Addendum signed and added.")
    return redirect("note_detail", note_id=note.pk)
