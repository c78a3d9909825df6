"""Measures pages: a client's scores, administering, self-report links, schedules, risk
alerts, the caseload outcome view, and the client's own questionnaire page.

Clinician pages fetch the client through `clients.access` (CLINICAL to read,
WRITE_CLINICAL to administer, send, schedule or resolve), so admins and front desk get a
404 and supervisors read their supervisees' clients without writing. Every page that shows
scores writes a `measures.view` event.

The self-report page (/r/<token>/) has no login: the token is the authority. It shows the
questionnaire and the practice's name and nothing else of the record.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.audit import log
from psynote.clients.access import Need, can, clients_for, get_client_for
from psynote.clients.models import Client
from psynote.lib import smtp_url
from psynote.lib.forms import add_errors
from psynote.lib.replica import replica_reads
from psynote.measures import access, actions, library, outcomes, tables
from psynote.measures.forms import LinkForm, ResolveForm, ScheduleForm, fields_html
from psynote.measures.models import MeasureSchedule

RECENT_RESOLVED = 10


def answers_from_post(
    instrument: library.Instrument, post: QueryDict
) -> tuple[dict[int, int | None], list[str]]:
    """Item number → chosen value (None when left blank); the scoring refuses what the
    instrument's missing-item rule does not allow, with its own message."""
    answers: dict[int, int | None] = {}
    problems = []
    for item in instrument.items:
        raw = post.get(f"item_{item.number}", "").strip()
        if not raw:
            answers[item.number] = None
        elif raw.isascii() and raw.isdigit() and int(raw) in item.values:
            answers[item.number] = int(raw)
        else:
            problems.append(f"Question {item.number}: choose one of the answers shown.")
    return answers, problems


def _questions(instrument: library.Instrument, chosen: dict[int, int | None]) -> list[Any]:
    return [
        {
            "item": item,
            "options": [
                {"option": option, "checked": chosen.get(item.number) == option.value}
                for option in item.options
            ],
        }
        for item in instrument.items
    ]


# --- a client's measures ----------------------------------------------------------------


def _client_page(
    request: HttpRequest, client: Client, *, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    found = outcomes.histories(client)
    alerts = list(
        client.risk_alerts.select_related("administration", "resolved_by").order_by("-opened_at")
    )
    open_alerts = [a for a in alerts if a.is_open]
    resolved = [a for a in alerts if not a.is_open][:RECENT_RESOLVED]
    # The schedules are read once, for their table and for what is due; the latest time
    # per instrument comes from the scores already read, not from a subquery per schedule.
    active = list(MeasureSchedule.objects.filter(client=client, active=True))
    latest = {h.instrument.key: h.administrations[-1].administered_at for h in found}
    for schedule in active:
        schedule.last_at = latest.get(schedule.instrument)  # type: ignore[attr-defined]
    due = {d.instrument.key: d for d in outcomes.due_measures(schedules=active).get(client.pk, [])}
    instruments = library.load_all()
    schedules = [
        {"schedule": s, "instrument": instruments.get(s.instrument), "due": due.get(s.instrument)}
        for s in active
    ]
    context = {
        "client": client,
        "histories": found,
        "talking_therapies": outcomes.talking_therapies(found),
        "open_alerts": [(a, a.reasons(), ResolveForm(prefix=f"alert{a.pk}")) for a in open_alerts],
        "resolved_alerts": [(a, a.reasons()) for a in resolved],
        "schedules": schedules,
        "instruments": list(library.load_all().values()),
        "writes": can(user, client, Need.WRITE_CLINICAL),
        "link_form": LinkForm(),
        "email_configured": smtp_url.configured(),
        "schedule_form": ScheduleForm(initial={"rhythm": "interval", "every_n_days": 14}),
    } | extra
    context["link_fields"] = fields_html(context["link_form"])
    context["schedule_fields"] = fields_html(context["schedule_form"])
    log.record_by(
        user, "measures.view", target_type="client", target_id=client.pk, client_id=client.pk
    )
    return render(request, "measures/client.html", context, status=status)


@login_required
@require_GET
def measures_client(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.CLINICAL)
    return _client_page(request, client)


def _aware(raw: str) -> Any:
    """A datetime-local value in the practice's time zone; "" → None (now)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError("The date and time administered is not a valid date and time.")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
@require_http_methods(["GET", "POST"])
def measure_administer(request: HttpRequest, client_id: Any, key: str) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    instrument = access.instrument_or_404(key)
    chosen: dict[int, int | None] = {}
    errors: list[str] = []
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    if request.method == "POST":
        chosen, errors = answers_from_post(instrument, request.POST)
        when = request.POST.get("administered_at", "")
        if not errors:
            try:
                administration = actions.administer(
                    by=request.user,
                    client=client,
                    instrument_key=instrument.key,
                    answers=chosen,
                    administered_at=_aware(when),
                )
            except ValidationError as error:
                errors = list(error.messages)
            else:
                band = f" ({administration.band})" if administration.band else ""
                messages.success(
                    request,
                    f"{instrument.short_name} recorded: {outcomes.reported(administration)}{band}.",
                )
                if hasattr(administration, "risk_alert"):
                    messages.error(
                        request,
                        "Risk alert opened: "
                        + "; ".join(administration.risk_alert.reasons())
                        + ". Assess risk; notes need a completed risk assessment until you "
                        "resolve the alert.",
                    )
                return redirect("measures_client", client_id=client.pk)
    context = {
        "client": client,
        "instrument": instrument,
        "questions": _questions(instrument, chosen),
        "administered_at": when,
        "errors": errors,
    }
    return render(request, "measures/administer.html", context, status=400 if errors else 200)


@login_required
@require_POST
def measure_link(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link, token = actions.create_self_report_link(
                by=request.user,
                client=client,
                instrument_key=request.POST.get("instrument", ""),
                days=form.cleaned_data["days"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            url = request.build_absolute_uri(reverse("self_report", args=[token]))
            new_link = {"url": url, "link": link, "instrument": library.get(link.instrument)}
            return _client_page(request, client, new_link=new_link)
    return _client_page(request, client, status=400, link_form=form)


@login_required
@require_POST
def measure_schedule(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    form = ScheduleForm(request.POST)
    key = request.POST.get("instrument", "")
    if form.is_valid():
        rhythm = form.cleaned_data["rhythm"]
        try:
            if rhythm == "stop":
                actions.stop_schedule(by=request.user, client=client, instrument_key=key)
                messages.success(request, "Schedule stopped.")
            else:
                schedule = actions.set_schedule(
                    by=request.user,
                    client=client,
                    instrument_key=key,
                    every_n_days=form.cleaned_data["every_n_days"]
                    if rhythm == "interval"
                    else None,
                    before_each_session=rhythm == "session",
                )
                messages.success(
                    request,
                    f"{library.get(schedule.instrument).short_name} scheduled "
                    f"{schedule.describe()}.",
                )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("measures_client", client_id=client.pk)
    return _client_page(request, client, status=400, schedule_form=form)


@login_required
@require_POST
def risk_alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access.get_alert_for(request.user, alert_id, Need.WRITE_CLINICAL)
    form = ResolveForm(request.POST, prefix=f"alert{alert.pk}")
    if form.is_valid():
        try:
            actions.resolve_alert(
                by=request.user,
                alert=alert,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Risk alert resolved.")
            return redirect("measures_client", client_id=alert.client_id)
    page = _client_page(request, alert.client, status=400, failed_alert=alert.pk, failed_form=form)
    return page


# --- the caseload outcome view ----------------------------------------------------------


@login_required
@require_GET
def measures_caseload(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_clinical:
        raise Http404("Not found")
    sort = request.GET.get("sort", "")
    descending = request.GET.get("order", "desc") != "asc"
    if sort and sort not in library.load_all():
        sort = ""
    with replica_reads():  # read-only, heavy: a streaming replica may answer (docs/scaling.md)
        result = outcomes.caseload_outcomes(
            clients_for(user, Need.CLINICAL, emergency=False).active(), sort=sort,
            descending=descending,
        )
    log.record_by(
        user,
        "caseload_outcomes.view",
        target_type="user",
        target_id=user.pk,
        detail={"clients": len(result.rows)},
    )
    rows = [(row, row.cells(result.keys)) for row in result.rows]
    context = {
        "outcomes": result,
        "rows": rows,
        "table_rows": tables.outcome_rows(rows),
        "sort": sort,
        "descending": descending,
    }
    return render(request, "measures/caseload.html", context)


# --- the client's own questionnaire page -------------------------------------------------


def _gone(request: HttpRequest, status: int) -> HttpResponse:
    return render(
        request, "measures/self_report_gone.html", {"message": actions.GONE_MESSAGE}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest, token: str) -> HttpResponse:
    if access.self_report_throttled(log.client_ip(request)):
        return _gone(request, 429)
    try:
        link = actions.open_self_report(token)
    except actions.LinkUnusable as error:
        return _gone(request, 410 if error.gone else 404)
    instrument = library.get(link.instrument)
    chosen: dict[int, int | None] = {}
    errors: list[str] = []
    if request.method == "POST":
        chosen, errors = answers_from_post(instrument, request.POST)
        if not errors:
            try:
                actions.submit_self_report(token=token, answers=chosen)
            except actions.LinkUnusable as error:
                return _gone(request, 410 if error.gone else 404)
            except ValidationError as error:
                errors = list(error.messages)
            else:
                return render(
                    request, "measures/self_report_done.html", {"practice": link.client.practice}
                )
    context = {
        "practice": link.client.practice,
        "instrument": instrument,
        "questions": _questions(instrument, chosen),
        "errors": errors,
    }
    return render(request, "measures/self_report.html", context, status=400 if errors else 200)
