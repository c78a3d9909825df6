"""Pages for the practice's note templates (ADR 0015).

Clinicians, supervisors and the admin read them; the admin, and the clinicians the admin
allows (`TemplateEditor`), add and edit them. Editing publishes a new version: notes
already written keep theirs. A template no note used may be deleted; one in use only
retired, which hides it from the new-note picker. Bad input re-renders the form with
every problem and status 400, and nothing is written.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psynote.accounts.models import CLINICAL_ROLES, Role, User
from psynote.clients.access import deny
from psynote.notes import template_actions as actions
from psynote.notes.template_access import get_template_for, templates_for
from psynote.notes.template_models import NoteTemplateVersion, TemplateEditor
from psynote.notes.templates import OPTIONAL_BLOCKS
from psynote.visits.cpt import SERVICES

SPARE_ROWS = 3


def _read_form(post: Any) -> dict[str, Any]:
    """The posted form as action arguments; blank section rows are left out."""
    try:
        rows = min(int(post.get("rows", "0")), actions.MAX_SECTIONS + SPARE_ROWS)
    except ValueError:
        rows = 0
    sections = []
    for n in range(max(rows, 0)):
        label, key, prompt = (post.get(f"section-{n}-{f}", "") for f in ("label", "key", "prompt"))
        if label.strip() or key.strip() or prompt.strip():
            sections.append(actions.SectionIn(label=label, key=key, prompt=prompt,
                                              required=bool(post.get(f"section-{n}-required"))))
    return {"name": post.get("name", ""), "sections": sections,
            "blocks": post.getlist("blocks"), "session_kinds": post.getlist("session_kinds")}


def _form_context(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    sections = list(data["sections"])
    rows = min(len(sections) + SPARE_ROWS, actions.MAX_SECTIONS + SPARE_ROWS)
    blank = actions.SectionIn(label="", required=True)
    return {
        "name": data["name"],
        "key": data.get("key", ""),
        "sections": sections + [blank] * (rows - len(sections)),
        "rows": rows,
        "blocks": [(k, label, k in data["blocks"]) for k, label in OPTIONAL_BLOCKS],
        "kinds": [(k, label, k in data["session_kinds"]) for k, label in SERVICES],
        "limits": {"name": actions.MAX_NAME, "prompt": actions.MAX_PROMPT,
                   "sections": actions.MAX_SECTIONS, "key": actions.MAX_KEY},
        **extra,
    }


def _as_form_data(version: NoteTemplateVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "sections": [actions.SectionIn(label=s["label"], key=s["key"], prompt=s["prompt"],
                                       required=s["required"]) for s in version.sections],
        "blocks": list(version.blocks),
        "session_kinds": list(version.session_kinds),
    }


def _editor_only(request: HttpRequest) -> None:
    if not actions.may_edit_templates(request.user):
        raise deny(request.user, "note_template", "", "edit_templates")


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role not in (*CLINICAL_ROLES, Role.ADMIN):
        raise deny(user, "note_template", "", "read_templates")
    templates = []
    for template in templates_for(user).order_by("name", "pk"):
        latest = template.latest_version()
        in_use = NoteTemplateVersion.objects.filter(template=template,
                                                    notes__isnull=False).exists()
        templates.append({"template": template, "latest": latest, "in_use": in_use})
    clinicians = []
    if user.role == Role.ADMIN:
        granted = set(TemplateEditor.objects.values_list("user_id", flat=True))
        clinicians = [(c, c.pk in granted) for c in User.objects.filter(
            practice_id=user.practice_id, role__in=CLINICAL_ROLES, is_active=True
        ).order_by("last_name", "first_name", "username")]
    return render(request, "notes/template_list.html", {
        "templates": templates, "can_edit": actions.may_edit_templates(user),
        "clinicians": clinicians,
    })


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    _editor_only(request)
    data: dict[str, Any] = {"name": "", "sections": [], "blocks": ["mse", "interventions",
                                                                  "objectives"],
                            "session_kinds": []}
    errors: list[str] = []
    if request.method == "POST":
        data = _read_form(request.POST) | {"key": request.POST.get("key", "")}
        try:
            template = actions.create_template(by=request.user, **data)
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(request, f"Template “{template.name}” added (version 1).")
            return redirect("template_detail", template_id=template.pk)
    context = _form_context(data, errors=errors, creating=True)
    return render(request, "notes/template_form.html", context, status=400 if errors else 200)


@login_required
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_template_for(request.user, template_id)
    versions = list(template.versions.order_by("-number"))
    shown = versions[0]
    wanted = request.GET.get("version", "")
    for version in versions:
        if str(version.number) == wanted:
            shown = version
    return render(request, "notes/template_detail.html", {
        "template": template, "versions": versions, "shown": shown,
        "definition": shown.definition(),
        "blocks": [label for key, label in OPTIONAL_BLOCKS if key in shown.blocks],
        "kinds": [label for key, label in SERVICES if key in shown.session_kinds],
        "can_edit": actions.may_edit_templates(request.user),
        "in_use": NoteTemplateVersion.objects.filter(template=template,
                                                     notes__isnull=False).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_template_for(request.user, template_id, edit=True)
    data = _as_form_data(template.latest_version())
    errors: list[str] = []
    if request.method == "POST":
        data = _read_form(request.POST)
        try:
            version = actions.publish_version(by=request.user, template=template, **data)
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(request, f"Version {version.number} published. Notes already "
                             "written keep the version they were written with.")
            return redirect("template_detail", template_id=template.pk)
    context = _form_context(data, errors=errors, creating=False, template=template)
    return render(request, "notes/template_form.html", context, status=400 if errors else 200)


@login_required
@require_POST
def template_retire(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_template_for(request.user, template_id, edit=True)
    retire = request.POST.get("retire") == "1"
    actions.set_retired(by=request.user, template=template, retired=retire)
    messages.success(request, f"“{template.name}” " + (
        "retired: no longer offered for new notes." if retire else "offered again."))
    return redirect("template_detail", template_id=template.pk)


@login_required
@require_POST
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_template_for(request.user, template_id, edit=True)
    try:
        actions.delete_template(by=request.user, template=template)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("template_detail", template_id=template.pk)
    messages.success(request, f"“{template.name}” deleted.")
    return redirect("template_list")


@login_required
@require_POST
def template_editors(request: HttpRequest) -> HttpResponse:
    """The admin allows or stops a clinician editing templates."""
    if request.user.role != Role.ADMIN:
        raise deny(request.user, "note_template", "", "grant_template_editing")
    try:
        user = User.objects.get(pk=int(request.POST.get("user", "")),
                                practice_id=request.user.practice_id)
        actions.set_editor(by=request.user, user=user, allowed=request.POST.get("allow") == "1")
    except (User.DoesNotExist, ValueError, ValidationError):
        messages.error(request, "Choose a clinician of the practice.")
    else:
        messages.success(request, f"{user.signature_name} "
                         + ("may now edit templates." if request.POST.get("allow") == "1"
                            else "no longer edits templates."))
    return redirect("template_list")

