"""Emergency-access pages: the name search, breaking the glass, the list of uses (alerts
for the client's clinicians, the privacy officer's review queue), one use with what was
opened under it, ending a grant and reviewing it. docs/adr/0008-emergency-access.md."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.audit import log
from psynote.clients import emergency
from psynote.clients.access import (
    Need,
    active_emergency_access,
    clients_for,
    deny,
    emergency_accesses_for,
    emergency_candidates,
    get_client_for_emergency,
    get_emergency_access_for,
    get_emergency_access_to_review,
    get_own_emergency_access,
    may_break_glass,
    reads_without_emergency,
    reviews_emergency_access,
    sees_emergency_reason,
)
from psynote.clients.forms import EmergencyAccessForm, EmergencyReviewForm
from psynote.clients.models import EmergencyAccess
from psynote.lib.crypto import DecryptionError
from psynote.lib.forms import add_errors

SEARCH_MIN = 2
SEARCH_LIMIT = 25
PAGE_SIZE = 50
DESTROYED = "(not readable: the record was destroyed)"


def _reason_for(user: object, grant: EmergencyAccess) -> str | None:
    """The reason if this user may read it (None if not)."""
    if not sees_emergency_reason(user, grant):
        return None
    try:
        return grant.reason()
    except DecryptionError:
        return DESTROYED


@login_required
@require_GET
def emergency_search(request: HttpRequest) -> HttpResponse:
    """Clients of the practice by name, demographics only, each with its way in."""
    user = request.user
    if not may_break_glass(user):
        raise deny(user, "emergency_access", user.practice_id or "", "break_glass")
    query = request.GET.get("q", "").strip()[:100]
    results = []
    if len(query) >= SEARCH_MIN:
        clients = emergency_candidates(user)
        for term in query.split():
            clients = clients.filter(Q(first_name__icontains=term)
                                     | Q(last_name__icontains=term)
                                     | Q(preferred_name__icontains=term))
        results = list(clients.order_by("last_name", "first_name", "date_of_birth")
                       .only("pk", "first_name", "last_name", "preferred_name",
                             "date_of_birth", "status")[:SEARCH_LIMIT])
        ids = [client.pk for client in results]
        on_team = set(clients_for(user, Need.CLINICAL, emergency=False)
                      .filter(pk__in=ids).values_list("pk", flat=True))
        granted = set(EmergencyAccess.objects.active().filter(user=user, client__in=ids)
                      .values_list("client_id", flat=True))
        for client in results:
            client.on_team, client.granted = client.pk in on_team, client.pk in granted
        log.record_by(user, "emergency_access.search", target_type="user", target_id=user.pk,
                      detail={"results": len(results)})
    return render(request, "clients/emergency_search.html", {
        "query": query, "results": results, "too_short": 0 < len(query) < SEARCH_MIN,
        "limit": SEARCH_LIMIT, "hours": settings.EMERGENCY_ACCESS_HOURS,
    })


@login_required
@require_http_methods(["GET", "POST"])
def emergency_access_new(request: HttpRequest, client_id: object) -> HttpResponse:
    user = request.user
    client = get_client_for_emergency(user, client_id)
    if reads_without_emergency(user, client):
        messages.info(request, "You already read this chart through the care team.")
        return redirect("client_chart", client_id=client.pk)
    if (grant := active_emergency_access(user, client)) is not None:
        messages.info(request, "Your emergency access to this chart is open until "
                               f"{timezone.localtime(grant.ends_at):%Y-%m-%d %H:%M}.")
        return redirect("client_chart", client_id=client.pk)
    form = EmergencyAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            emergency.break_glass(by=user, client=client, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.warning(request, "Emergency access is open, read-only. Every page you "
                                      "open is recorded.")
            return redirect("client_chart", client_id=client.pk)
    context = {"client": client, "form": form, "hours": settings.EMERGENCY_ACCESS_HOURS}
    status = 400 if request.method == "POST" else 200
    return render(request, "clients/emergency_new.html", context, status=status)


@login_required
@require_GET
def emergency_access_list(request: HttpRequest) -> HttpResponse:
    """The privacy officer's review queue (waiting first), or a clinician's own uses and
    the uses on their clients."""
    user = request.user
    officer = reviews_emergency_access(user)
    if not officer and not may_break_glass(user):
        raise deny(user, "emergency_access", user.practice_id or "", "emergency_access")
    grants = emergency_accesses_for(user).select_related("client", "user", "reviewed_by")
    waiting_only = officer and request.GET.get("show") == "waiting"
    if waiting_only:
        grants = grants.awaiting_review()
    if officer:
        grants = grants.order_by(F("reviewed_at").asc(nulls_first=True), "-started_at")
    page = Paginator(grants, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(grant, _reason_for(user, grant), grant.is_active(now)) for grant in page]
    log.record_by(user, "emergency_access.list", target_type="user", target_id=user.pk,
                  detail={"grants": len(rows)})
    return render(request, "clients/emergency_list.html", {
        "page": page, "rows": rows, "officer": officer, "waiting_only": waiting_only,
        "can_search": may_break_glass(user),
    })


def _detail_page(request: HttpRequest, grant: EmergencyAccess,
                 form: EmergencyReviewForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    officer = reviews_emergency_access(user)
    comment = None
    if officer and grant.is_reviewed:
        try:
            comment = grant.review_comment()
        except DecryptionError:
            comment = DESTROYED
    context = {
        "grant": grant,
        "reason": _reason_for(user, grant),
        "active": grant.is_active(),
        "time_left": emergency.time_left(grant),
        "uses": emergency.uses_of(grant),
        "own": grant.user_id == user.pk,
        "review_comment": comment,
        "review_form": (form or EmergencyReviewForm()) if officer and not grant.is_reviewed
        else None,
    }
    return render(request, "clients/emergency_detail.html", context, status=status)


@login_required
@require_GET
def emergency_access_detail(request: HttpRequest, grant_id: object) -> HttpResponse:
    grant = get_emergency_access_for(request.user, grant_id)
    log.record_by(request.user, "emergency_access.view", target_type="emergency_access",
                  target_id=grant.pk, client_id=grant.client_id)
    return _detail_page(request, grant)


@login_required
@require_POST
def emergency_access_end(request: HttpRequest, grant_id: object) -> HttpResponse:
    grant = get_own_emergency_access(request.user, grant_id)
    try:
        emergency.end_emergency_access(by=request.user, grant=grant)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, f"Emergency access to {grant.client.display_name} ended.")
    return redirect("emergency_access_detail", grant_id=grant.pk)


@login_required
@require_POST
def emergency_access_review(request: HttpRequest, grant_id: object) -> HttpResponse:
    grant = get_emergency_access_to_review(request.user, grant_id)
    if grant.is_reviewed:
        messages.info(request, "This use of emergency access was already reviewed.")
        return redirect("emergency_access_detail", grant_id=grant.pk)
    form = EmergencyReviewForm(request.POST)
    if form.is_valid():
        try:
            grant = emergency.review_emergency_access(by=request.user, grant=grant,
                                                      **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect("emergency_access_detail", grant_id=grant.pk)
    return _detail_page(request, grant, form, status=400)
