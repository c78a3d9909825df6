"""Client pages: the client list, a new client, demographics, the care team and the
diagnoses on the chart. The chart itself composes visits and notes, so it lives in
`psynote.chart`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts.models import User
from psynote.clients import actions, icd10
from psynote.clients.access import (
    Need,
    active_clinicians,
    clients_for,
    get_client_for,
    get_diagnosis_for,
    may_add_clients,
    names_primary_clinician,
)
from psynote.clients.forms import (
    CareTeamAddForm,
    ClientEditForm,
    DiagnosisForm,
    DiagnosisStatusForm,
    NewClientForm,
)
from psynote.clients.models import CareTeamMember, Client
from psynote.lib.forms import add_errors

PAGE_SIZE = 50


def _chart_url(client: Client, anchor: str = "") -> str:
    return reverse("client_chart", args=[client.pk]) + (f"#{anchor}" if anchor else "")


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    clients = clients_for(request.user, Need.DEMOGRAPHICS)
    for term in query.split():
        clients = clients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(preferred_name__icontains=term)
        )
    primaries = CareTeamMember.objects.filter(role=CareTeamMember.Role.PRIMARY)
    clients = clients.prefetch_related(
        Prefetch("care_team", queryset=primaries.select_related("user"), to_attr="primaries")
    )
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/client_list.html",
        {
            "page": page,
            "query": query,
            "can_create": may_add_clients(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_add_clients(user):
        raise Http404("Not found")
    clinicians = active_clinicians(user.practice_id) if names_primary_clinician(user) else None
    form = NewClientForm(request.POST if request.method == "POST" else None, clinicians=clinicians)
    if request.method == "POST":
        if form.is_valid():
            primary = form.cleaned_data["primary_clinician"] if clinicians is not None else user
            try:
                client = actions.create_client(
                    by=user, primary_clinician=primary, **form.demographics()
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"{client.display_name} was added.")
                return redirect("client_chart", client_id=client.pk)
        return render(request, "clients/client_form.html", {"form": form, "new": True}, status=400)
    return render(request, "clients/client_form.html", {"form": form, "new": True})


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.EDIT_DEMOGRAPHICS)
    initial = model_to_dict(client, fields=ClientEditForm.Meta.fields)
    form = ClientEditForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"form": form, "client": client, "new": False}
    if request.method == "POST":
        if form.is_valid():
            if not form.changed_data:
                messages.info(request, "Nothing was changed.")
                return redirect(_chart_url(client))
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                actions.update_client(by=request.user, client=client, **changes)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Demographics saved.")
                return redirect(_chart_url(client))
        client.refresh_from_db()  # the failed update may have left values on the instance
        return render(request, "clients/client_form.html", context, status=400)
    return render(request, "clients/client_form.html", context)


def _care_team_page(
    request: HttpRequest,
    client: Client,
    add_form: CareTeamAddForm,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    members = client.care_team.select_related("user").order_by("-role", "user__last_name")
    return render(
        request,
        "clients/care_team.html",
        {
            "client": client,
            "members": members,
            "add_form": add_form,
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_team(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.MANAGE_CARE_TEAM)
    candidates = active_clinicians(client.practice_id).exclude(care_teams__client=client)
    add_form = CareTeamAddForm(candidates=candidates)
    if request.method == "GET":
        return _care_team_page(request, client, add_form)

    action = request.POST.get("action", "")
    try:
        if action == "add":
            add_form = CareTeamAddForm(request.POST, candidates=candidates)
            if not add_form.is_valid():
                return _care_team_page(request, client, add_form, status=400)
            member = add_form.cleaned_data["user"]
            actions.add_care_team_member(
                by=request.user, client=client, user=member, role=add_form.cleaned_data["role"]
            )
            messages.success(request, f"{member} joined the care team.")
        elif action in ("remove", "primary"):
            member = _team_member(client, request.POST.get("user", ""))
            if action == "remove":
                actions.remove_care_team_member(by=request.user, client=client, user=member)
                messages.success(request, f"{member} left the care team.")
            else:
                actions.add_care_team_member(
                    by=request.user, client=client, user=member, role=CareTeamMember.Role.PRIMARY
                )
                messages.success(request, f"{member} is now the primary clinician.")
        else:
            raise ValidationError("Choose add, remove or make primary.")
    except ValidationError as error:
        return _care_team_page(
            request, client, add_form, error=" ".join(error.messages), status=400
        )
    return redirect("care_team", client_id=client.pk)


def _team_member(client: Client, user_id: str) -> User:
    try:
        return User.objects.get(pk=int(user_id), care_teams__client=client)
    except (User.DoesNotExist, ValueError):
        raise ValidationError("That person is not on this care team.") from None


@login_required
@require_http_methods(["GET", "POST"])
def diagnosis_add(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    form = DiagnosisForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                diagnosis = actions.add_diagnosis(
                    by=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Added {diagnosis}.")
                return redirect(_chart_url(client, "diagnoses"))
        return render(
            request, "clients/diagnosis_form.html", {"client": client, "form": form}, status=400
        )
    return render(request, "clients/diagnosis_form.html", {"client": client, "form": form})


@login_required
@require_POST
def diagnosis_status(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    diagnosis = get_diagnosis_for(request.user, diagnosis_id, Need.WRITE_CLINICAL)
    form = DiagnosisStatusForm(request.POST)
    if form.is_valid():
        try:
            actions.set_diagnosis_status(
                by=request.user, diagnosis=diagnosis, status=form.cleaned_data["status"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, f"{diagnosis.code} is now {diagnosis.get_status_display().lower()}."
            )
            return redirect(_chart_url(diagnosis.client, "diagnoses"))
    return render(
        request,
        "clients/diagnosis_status.html",
        {"client": diagnosis.client, "diagnosis": diagnosis, "form": form},
        status=400,
    )


@login_required
@require_GET
def icd_search(request: HttpRequest) -> JsonResponse:
    """Suggestions for the diagnosis input, from the shipped ICD-10-CM table."""
    if not request.user.is_clinical:
        raise Http404("Not found")
    hits = icd10.search(request.GET.get("q", "")[:60])
    return JsonResponse([{"code": code, "description": text} for code, text in hits], safe=False)
