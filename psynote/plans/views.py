"""Treatment-plan pages: a version read-only, the draft editor, starting, signing and
discarding a draft. The plan page itself (`plan_detail`, with the golden thread of notes)
lives in `chart.plan_views`, since it also reads progress notes.

Who may do what: anyone who may read the client's record reads every version; the
client's care team edits the one draft and signs it. The editor is one form with one
Save (plans.editor): bad input re-renders it with the message, what was typed and status
400; the draft is written whole in one transaction, so nothing is half-written.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts.models import CLINICAL_ROLES
from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client, Diagnosis
from psynote.plans import actions
from psynote.plans.access import get_draft_for, get_version_for
from psynote.plans.editor import apply_form, typed_into
from psynote.plans.models import AgreementMethod, Objective, PlanVersion
from psynote.plans.outline import outline


def audit_view(user: Any, version: PlanVersion) -> None:
    log.record_by(
        user,
        "plan.view",
        target_type="plan_version",
        target_id=version.pk,
        client_id=version.plan.client_id,
    )


@login_required
@require_GET
def plan_version(request: HttpRequest, version_id: Any) -> HttpResponse:
    version = get_version_for(request.user, version_id)
    client = version.plan.client
    audit_view(request.user, version)
    context = {
        "client": client,
        "version": version,
        "outline": outline(version),
        "writes": can(request.user, client, Need.WRITE_CLINICAL),
    }
    return render(request, "plans/plan_version.html", context)


def _editor_context(
    client: Client, draft: PlanVersion, structure: dict[str, Any]
) -> dict[str, Any]:
    team = client.care_team.filter(user__is_active=True, user__role__in=CLINICAL_ROLES)
    return {
        "client": client,
        "version": draft,
        "outline": structure,
        "diagnoses": client.diagnoses.exclude(status=Diagnosis.Status.RULED_OUT),
        "team": [member.user for member in team.select_related("user")],
        "methods": AgreementMethod.choices,
        "statuses": Objective.Status.choices,
        "sign_problems": actions.signing_problems(draft.structure()),
        "review_days": actions.review_days(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, client_id: Any) -> HttpResponse:
    client, draft = get_draft_for(request.user, client_id)
    if draft is None:
        messages.info(request, "There is no draft of this plan. Start a new version to change it.")
        return redirect("plan_detail", client_id=client.pk)
    errors: list[str] = []
    structure = outline(draft)
    if request.method == "POST":
        try:
            changed = apply_form(draft.structure(), request.POST)
            actions.save_structure(by=request.user, version=draft, structure=changed)
        except ValidationError as error:
            errors = list(error.messages)
            structure = typed_into(structure, request.POST)
        else:
            messages.success(request, "Draft saved.")
            # After an Add button, back to where the new item is.
            anchor = request.POST.get("add", "").partition(":")[2]
            return redirect(f"{request.path}#item-{anchor}" if anchor else request.path)
    audit_view(request.user, draft)
    context = _editor_context(client, draft, structure) | {"errors": errors}
    return render(request, "plans/plan_edit.html", context, status=400 if errors else 200)


@login_required
@require_POST
def plan_start(request: HttpRequest, client_id: Any) -> HttpResponse:
    client, draft = get_draft_for(request.user, client_id)
    if draft is not None:
        messages.info(request, f"Version {draft.number} is already a draft: here it is.")
        return redirect("plan_edit", client_id=client.pk)
    try:
        version = actions.start_version(by=request.user, client=client)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("plan_detail", client_id=client.pk)
    messages.success(
        request,
        f"Version {version.number} started as a draft."
        + (" It begins as a copy of the plan in force." if version.number > 1 else ""),
    )
    return redirect("plan_edit", client_id=client.pk)


@login_required
@require_POST
def plan_sign(request: HttpRequest, client_id: Any) -> HttpResponse:
    client, draft = get_draft_for(request.user, client_id)
    if draft is None:
        messages.info(request, "There is no draft to sign.")
        return redirect("plan_detail", client_id=client.pk)
    try:
        actions.sign_version(by=request.user, version=draft)
    except ValidationError as error:
        audit_view(request.user, draft)
        context = _editor_context(client, draft, outline(draft)) | {
            "errors": list(error.messages),
            "sign_failed": True,
        }
        return render(request, "plans/plan_edit.html", context, status=400)
    messages.success(
        request, f"Version {draft.number} signed: it is the plan in force and can no longer change."
    )
    return redirect("plan_detail", client_id=client.pk)


@login_required
@require_POST
def plan_discard(request: HttpRequest, client_id: Any) -> HttpResponse:
    client, draft = get_draft_for(request.user, client_id)
    if draft is not None:
        actions.discard_draft(by=request.user, version=draft)
        messages.success(request, f"Draft version {draft.number} discarded.")
    return redirect("plan_detail", client_id=client.pk)
