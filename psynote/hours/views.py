"""The hour-log pages: a supervisee's own log, a supervisor's view of a supervisee, the
report check, and the admin's licence types. Access is `hours.access`; writes are
`hours.actions` and `hours.report`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from psynote.audit import log
from psynote.hours import access, actions, report
from psynote.hours.forms import EntryForm, PeriodForm, TargetsForm, VerifyForm, period_from
from psynote.hours.models import Entry, Licence, LicenceType, Report
from psynote.hours.totals import licence_type_of, totals
from psynote.lib.forms import add_errors


@login_required
def hours_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_keeper(user)
    period, start, end = period_from(request.GET)
    return render(request, "hours/home.html", {
        "period": period, "totals": totals(user, start, end),
        "supervisors": access.supervisors_of(user),
        "supervisees": access.supervisees_of(user),
        "reports": Report.objects.filter(supervisee=user).select_related("signed_by"),
    }, status=400 if period.errors else 200)


def _entry_form(request: HttpRequest, entry: Entry | None = None) -> EntryForm:
    user = request.user
    initial = {"date": timezone.localdate(), "minutes": 60}
    if entry is not None:
        initial = {"date": entry.date, "minutes": entry.minutes, "category": entry.category_id,
                   "format": entry.format, "supervisor": entry.supervisor_id,
                   "notes": entry.notes()}
    categories = licence_type_of(user).categories.filter(active=True, source="logged")
    return EntryForm(request.POST if request.method == "POST" else None, initial=initial,
                     supervisors=access.supervisors_of(user), categories=categories)


def _save_entry(request: HttpRequest, form: EntryForm, entry: Entry | None) -> Entry | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    fields = {"supervisor": form.supervisor_user(), "category": data["category"],
              "day": data["date"], "minutes": data["minutes"], "format": data["format"],
              "notes": data["notes"]}
    try:
        if entry is None:
            return actions.log_entry(by=request.user, **fields)
        return actions.update_entry(by=request.user, entry=entry, **fields)
    except ValidationError as error:
        add_errors(form, error)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def hours_entry_new(request: HttpRequest) -> HttpResponse:
    access.require_keeper(request.user)
    form = _entry_form(request)
    if request.method == "POST":
        if _save_entry(request, form, None) is not None:
            messages.success(request, "Entry logged; your supervisor can now confirm it.")
            return redirect("hours_home")
        return render(request, "hours/entry_form.html", {"form": form, "new": True}, status=400)
    return render(request, "hours/entry_form.html", {"form": form, "new": True})


@login_required
@require_http_methods(["GET", "POST"])
def hours_entry_edit(request: HttpRequest, entry_id: object) -> HttpResponse:
    entry = access.get_entry_for(request.user, entry_id, write=True)
    form = _entry_form(request, entry)
    context = {"form": form, "new": False, "entry": entry}
    if request.method == "POST":
        if _save_entry(request, form, entry) is not None:
            messages.success(request, "Entry saved.")
            return redirect("hours_home")
        return render(request, "hours/entry_form.html", context, status=400)
    return render(request, "hours/entry_form.html", context)


@login_required
@require_POST
def hours_entry_delete(request: HttpRequest, entry_id: object) -> HttpResponse:
    entry = access.get_entry_for(request.user, entry_id, write=True)
    try:
        actions.delete_entry(by=request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Entry deleted.")
    return redirect("hours_home")


@login_required
@require_POST
def hours_entry_confirm(request: HttpRequest, entry_id: object) -> HttpResponse:
    entry = access.get_entry_for(request.user, entry_id, confirm=True)
    try:
        actions.confirm_entry(by=request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Entry confirmed; it is now locked.")
    return redirect("hours_supervisee", supervisee_id=entry.supervisee_id)


@login_required
def hours_supervisee(request: HttpRequest, supervisee_id: object) -> HttpResponse:
    supervisee = access.get_supervisee_for(request.user, supervisee_id)
    period, start, end = period_from(request.GET)
    # The page opens the meeting notes: who read whose log is kept, as for a chart.
    log.record_by(request.user, "hours.view", target_type="user", target_id=supervisee.pk)
    return render(request, "hours/supervisee.html", {
        "supervisee": supervisee, "period": period, "totals": totals(supervisee, start, end),
        "reports": Report.objects.filter(supervisee=supervisee).select_related("signed_by"),
    }, status=400 if period.errors else 200)


@login_required
@require_POST
def hours_report_sign(request: HttpRequest, supervisee_id: object) -> HttpResponse:
    supervisee = access.get_supervisee_for(request.user, supervisee_id)
    period = PeriodForm(request.POST)
    if period.is_valid():
        try:
            signed = report.sign_report(by=request.user, supervisee=supervisee,
                                        start=period.cleaned_data["start"],
                                        end=period.cleaned_data["end"])
        except ValidationError as error:
            add_errors(period, error)
        except report.PdfUnavailable as error:
            period.add_error(None, str(error))
        else:
            messages.success(request, "Report signed. Download it below.")
            url = reverse("hours_supervisee", kwargs={"supervisee_id": supervisee.pk})
            return redirect(f"{url}#report-{signed.pk}")
    _, start, end = period_from({})
    found = totals(supervisee, start, end)
    return render(request, "hours/supervisee.html", {
        "supervisee": supervisee, "period": period, "totals": found, "sign_errors": True,
        "reports": Report.objects.filter(supervisee=supervisee).select_related("signed_by"),
    }, status=400)


@login_required
def hours_report_download(request: HttpRequest, report_id: object) -> HttpResponse:
    found = access.get_report_for(request.user, report_id)
    response = HttpResponse(bytes(found.package), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def hours_report_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (access.keeps_hours(user) or access.is_admin(user)):
        raise Http404
    form = VerifyForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "hours/verify.html", context, status=400)
        facts, problems = report.check_package(user.practice, form.cleaned_data["package"].read())
        context |= {"checked": True, "facts": facts, "problems": problems}
    return render(request, "hours/verify.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def hours_targets(request: HttpRequest, user_id: object) -> HttpResponse:
    owner = access.get_target_owner_for(request.user, user_id)
    licence = Licence.objects.filter(user_id=owner.pk).first()
    licence_type = licence_type_of(owner)
    chosen = licence_type
    if request.method == "POST":
        picked = LicenceType.objects.filter(
            practice_id=owner.practice_id, pk=request.POST.get("licence_type") or 0).first()
        chosen = picked or licence_type
    categories = list(chosen.categories.filter(active=True))
    targets = {t.category_id: t.hours for t in licence.targets.all()} if licence else {}
    form = TargetsForm(request.POST or None, practice_id=owner.practice_id,
                       categories=categories, targets=targets,
                       initial={"licence_type": licence_type.pk})
    context = {"form": form, "owner": owner, "own": owner.pk == request.user.pk}
    if request.method == "POST":
        if form.is_valid():
            new_type = form.cleaned_data["licence_type"]
            try:
                actions.set_targets(by=request.user, owner=owner, licence_type=new_type,
                                    targets=form.targets() if new_type == licence_type else {})
            except ValidationError as error:
                add_errors(form, error)
            else:
                if new_type != licence_type:
                    messages.success(request, "Licence changed; now enter its targets.")
                else:
                    messages.success(request, "Targets saved.")
                return redirect("hours_targets", user_id=owner.pk)
        return render(request, "hours/targets.html", context, status=400)
    return render(request, "hours/targets.html", context)
