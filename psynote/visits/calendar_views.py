"""The calendar pages: a day or a week (a clinician's own; front desk's across clinicians),
booking appointments, rescheduling, cancelling, no-shows, and the clinician's iCalendar
feed (a secret URL for their phone, carrying no client names and no clinical content)."""

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.audit import log
from psynote.clients.access import get_client_for
from psynote.clients.models import CareTeamMember
from psynote.lib import ical
from psynote.lib.forms import add_errors
from psynote.visits import calendar, calendar_actions
from psynote.visits.access import (
    get_session_to_change,
    names_clinician,
    recording_need,
    session_clinicians,
)
from psynote.visits.calendar_forms import AppointmentForm, CancelForm, RescheduleForm
from psynote.visits.models import CalendarFeed, Session

# What the feed carries: from a month back to a year ahead.
FEED_PAST, FEED_AHEAD = timedelta(days=31), timedelta(days=366)


def _allowed(user: Any) -> None:
    if not calendar.may_view_calendar(user):
        raise Http404("Not found")


def _query(request: HttpRequest) -> tuple[date, Any, str]:
    """The day asked for and the clinician filter (front desk), or a clear error."""
    user = request.user
    try:
        day = date.fromisoformat(request.GET.get("date") or timezone.localdate().isoformat())
        calendar.check_view_day(day)
    except ValueError:
        return timezone.localdate(), None, "That is not a date (use YYYY-MM-DD)."
    except ValidationError as error:
        return timezone.localdate(), None, error.messages[0]
    wanted = request.GET.get("clinician", "")
    if not wanted or not calendar.sees_all_clinicians(user):
        return day, None, ""
    clinician = calendar.clinicians_of(user).filter(pk=wanted).first() if wanted.isdigit() \
        else None
    if clinician is None:
        return day, None, "No active clinician of the practice has that id."
    return day, clinician, ""


def _calendar(request: HttpRequest, *, week: bool) -> HttpResponse:
    user = request.user
    _allowed(user)
    day, clinician, problem = _query(request)
    first = calendar.week_start(day) if week else day
    count = 7 if week else 1
    shown = calendar.days(user, first, count, clinician)
    log.record_by(user, "calendar.view", target_type="user", target_id=user.pk,
                  detail={"days": count, "sessions": sum(len(d.sessions) for d in shown)})
    step = timedelta(days=count)
    context = {
        "days": shown, "week": week, "day": day, "first": first,
        "previous": first - step, "next": first + step, "today": timezone.localdate(),
        "clinician": clinician, "all_clinicians": calendar.sees_all_clinicians(user),
        "clinicians": calendar.clinicians_of(user) if calendar.sees_all_clinicians(user)
        else None,
        "problem": problem,
    }
    return render(request, "visits/calendar.html", context, status=400 if problem else 200)


@login_required
@require_GET
def calendar_week(request: HttpRequest) -> HttpResponse:
    return _calendar(request, week=True)


@login_required
@require_GET
def calendar_day(request: HttpRequest) -> HttpResponse:
    return _calendar(request, week=False)


def _to_calendar(session: Session) -> HttpResponse:
    return redirect(f"{reverse('calendar_week')}?date={session.date:%Y-%m-%d}")


@login_required
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest, client_id: object) -> HttpResponse:
    user = request.user
    client = get_client_for(user, client_id, recording_need(user))
    clinicians = session_clinicians(client) if names_clinician(user) else None
    initial: dict[str, Any] = {"date": timezone.localdate()}
    if clinicians is not None:
        initial["clinician"] = client.care_team.filter(
            role=CareTeamMember.Role.PRIMARY).values_list("user", flat=True).first()
    form = AppointmentForm(request.POST if request.method == "POST" else None,
                           clinicians=clinicians, initial=initial)
    context: dict[str, Any] = {"form": form, "client": client, "clashes": []}
    if request.method == "POST":
        if form.is_valid():
            clinician = form.cleaned_data["clinician"] if clinicians is not None else user
            try:
                booked = calendar_actions.book_appointments(
                    by=user, client=client, clinician=clinician, **form.booking())
            except calendar_actions.DoubleBooking as clash:
                context["clashes"] = clash.sessions
                form.add_error("allow_double_booking", clash.messages[0])
            except ValidationError as error:
                add_errors(form, error)
            else:
                what = f"{len(booked)} sessions" if len(booked) > 1 else "The appointment"
                messages.success(request, f"{what} booked, from {booked[0].date:%Y-%m-%d}.")
                return _to_calendar(booked[0])
        return render(request, "visits/appointment_form.html", context, status=400)
    return render(request, "visits/appointment_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_to_change(user, session_id)
    form = RescheduleForm(
        request.POST if request.method == "POST" else None,
        initial={"date": session.date, "start_time": session.start_time,
                 "end_time": session.end_time})
    context = {"form": form, "session": session, "client": session.client}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                calendar_actions.reschedule(
                    by=user, session=session, day=data["date"], start_time=data["start_time"],
                    end_time=data["end_time"],
                    allow_double_booking=data["allow_double_booking"])
            except calendar_actions.DoubleBooking as clash:
                form.add_error("allow_double_booking", clash.messages[0])
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Session moved to {data['date']:%Y-%m-%d}.")
                session.date = data["date"]
                return _to_calendar(session)
        return render(request, "visits/session_reschedule.html", context, status=400)
    return render(request, "visits/session_reschedule.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_to_change(user, session_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "session": session, "client": session.client}
    if request.method == "POST":
        if form.is_valid():
            try:
                calendar_actions.cancel(by=user, session=session,
                                        reason=form.cleaned_data["reason"],
                                        late=form.cleaned_data["late"])
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Session of {session.date:%Y-%m-%d} cancelled.")
                return _to_calendar(session)
        return render(request, "visits/session_cancel.html", context, status=400)
    return render(request, "visits/session_cancel.html", context)


@login_required
@require_POST
def session_no_show(request: HttpRequest, session_id: object) -> HttpResponse:
    user = request.user
    session = get_session_to_change(user, session_id)
    try:
        calendar_actions.mark_no_show(by=user, session=session)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Session of {session.date:%Y-%m-%d} marked a no-show.")
    return _to_calendar(session)


# --- the iCalendar feed -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_manage(request: HttpRequest) -> HttpResponse:
    """The clinician's feed: make or reset its secret URL (shown once), or turn it off."""
    user = request.user
    if not user.is_clinical:
        raise Http404("Not found")
    url = ""
    if request.method == "POST":
        if request.POST.get("action") == "off":
            calendar_actions.turn_off_feed(by=user)
            messages.success(request, "Your calendar feed is off; its address no longer works.")
            return redirect("calendar_feed_manage")
        secret = calendar_actions.reset_feed(by=user)
        url = request.build_absolute_uri(reverse("calendar_feed", args=[secret]))
    has_feed = CalendarFeed.objects.filter(clinician=user).exists()
    return render(request, "visits/calendar_feed.html", {"url": url, "has_feed": has_feed})


@require_GET
def calendar_feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    """The feed a phone subscribes to: no login, the secret in the URL. Each event says
    only "Session · 50 min" (no client, no service, no status)."""
    clinician = calendar_actions.feed_owner(feed_token)
    if clinician is None:
        raise Http404("Not found")
    today = timezone.localdate()
    sessions = Session.objects.filter(
        clinician=clinician, date__range=(today - FEED_PAST, today + FEED_AHEAD),
        attendance__in=calendar.HOLDS_TIME, start_time__isnull=False,
    ).order_by("date", "start_time").only("id", "date", "start_time", "end_time", "created_at")
    events = []
    for session in sessions:
        start = timezone.make_aware(datetime.combine(session.date, session.start_time))
        minutes = session.minutes or 50
        events.append(ical.Event(
            uid=f"{session.pk}@psynote", start=start, end=start + timedelta(minutes=minutes),
            summary=f"Session · {minutes} min", stamp=session.created_at))
    log.record_by(clinician, "calendar_feed.read", target_type="user", target_id=clinician.pk,
                  detail={"events": len(events)})
    body = ical.calendar("Psynote sessions", events)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
