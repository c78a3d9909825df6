"""Emergency-access notices: the banner on every page while a user's grant is open, the
privacy officer's count of uses waiting for review (both through base.html's one include,
clients/emergency_banner.html), and the alert list on a clinician's caseload."""

from datetime import UTC, timedelta
from typing import Any

from django import template
from django.db.models import F
from django.utils import timezone

from psynote.clients.access import (
    emergency_accesses_for,
    emergency_alerts_for,
    granted_clients,
    may_break_glass,
    reviews_emergency_access,
)
from psynote.clients.emergency import time_left
from psynote.clients.models import EmergencyAccess

register = template.Library()

ALERT_DAYS = 30
ALERT_LIMIT = 20
WAITING_SHOWN = 99


def _user(context: template.Context) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("clients/_emergency_notices.html", takes_context=True)
def emergency_notices(context: template.Context) -> dict[str, Any]:
    user = _user(context)
    grants, waiting = [], 0
    if user is not None and may_break_glass(user):
        if not granted_clients(user):  # the usual page: no grant, no query
            return {"grants": [], "waiting": 0, "more": False}
        now = timezone.now()
        grants = [(grant, time_left(grant, now)) for grant in
                  EmergencyAccess.objects.active(now).filter(user=user).select_related("client")]
    elif user is not None and reviews_emergency_access(user):
        # A bounded fetch, not COUNT(*): pages behind a login never count through a table.
        waiting = len(emergency_accesses_for(user).awaiting_review()
                      .values_list("pk", flat=True)[:WAITING_SHOWN + 1])
    return {"grants": grants, "waiting": min(waiting, WAITING_SHOWN),
            "more": waiting > WAITING_SHOWN, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("clients/_emergency_alerts.html", takes_context=True)
def emergency_alerts(context: template.Context) -> dict[str, Any]:
    """Uses of emergency access on the user's clients in the last ALERT_DAYS days."""
    user = _user(context)
    if user is None or not may_break_glass(user):
        return {"alerts": [], "show": False}
    since = timezone.now() - timedelta(days=ALERT_DAYS)
    alerts = list(emergency_alerts_for(user).filter(started_at__gte=since)
                  .select_related("client", "user")[:ALERT_LIMIT])
    now = timezone.now()
    return {"alerts": [(grant, grant.is_active(now)) for grant in alerts], "show": True,
            "days": ALERT_DAYS}


CARE_TEAM_ACTIONS = ("care_team.add", "care_team.remove")


@register.inclusion_tag("clients/_care_team_changes.html", takes_context=True)
def care_team_changes(context: template.Context) -> dict[str, Any]:
    """Care-team changes someone else made to the user's clients in the last ALERT_DAYS
    days: an admin who adds a colleague to a care team gives that colleague the chart, so
    the client's clinician sees it (and the privacy officer's log flags it)."""
    from psynote.audit.models import AuditEvent
    from psynote.clients.access import Need, clients_for

    user = _user(context)
    if user is None or not may_break_glass(user):
        return {"changes": []}
    since = (timezone.now() - timedelta(days=ALERT_DAYS)).astimezone(UTC)
    mine = {str(pk): name for pk, name in
            ((c.pk, c.display_name) for c in clients_for(user, Need.WRITE_CLINICAL)
             .only("pk", "first_name", "last_name", "preferred_name"))}
    # Through the (action, target_id, at) index: these actions name the client as their
    # target. Left to itself, SQLite walks the practice's whole chain backwards by seq
    # (the practice_id equality picks that index) to find the few, or no, changes; the
    # `+ 0` keeps the practice check without offering that index.
    events = (AuditEvent.objects.alias(practice=F("practice_id") + 0)
              .filter(practice=user.practice_id, action__in=CARE_TEAM_ACTIONS,
                      target_id__in=list(mine), client_id__in=list(mine),
                      at__gte=since.strftime("%Y-%m-%dT%H:%M:%S"))
              .exclude(actor_id=str(user.pk)).order_by("-seq")[:ALERT_LIMIT])
    return {"changes": [(event, mine.get(event.client_id, "")) for event in events],
            "days": ALERT_DAYS}
