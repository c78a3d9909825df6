"""Who may see and record measures. Every view and API route fetches through here.

Measures are clinical content: reading them needs `Need.CLINICAL` (care team, or the
supervisor of a supervisee on it); administering, sending links, scheduling and resolving
risk alerts need `Need.WRITE_CLINICAL` (care team only). Admins and front desk get a 404.

Self-report links are the exception: the person holding the token needs no account. Failed
token lookups are throttled per address, counted from the audit log's own
`self_report.invalid_token` events (as login throttling counts `login.failed`).
"""

from datetime import UTC, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from psynote.audit.models import AuditEvent
from psynote.clients.access import Need, clients_for, deny
from psynote.measures import library
from psynote.measures.models import Administration, RiskAlert

# A link token has 256 bits; anyone failing this often is guessing, not mistyping.
SELF_REPORT_MAX_FAILURES = 20
SELF_REPORT_WINDOW_MINUTES = 15


def administrations_for(user: Any, need: Need = Need.CLINICAL) -> QuerySet[Administration]:
    return Administration.objects.filter(client__in=clients_for(user, need))


def get_administration_for(
    user: Any, administration_id: object, need: Need = Need.CLINICAL
) -> Administration:
    try:
        return administrations_for(user, need).select_related("client").get(pk=administration_id)
    except (Administration.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "administration", administration_id, need) from None


def alerts_for(user: Any, need: Need = Need.CLINICAL) -> QuerySet[RiskAlert]:
    return RiskAlert.objects.filter(client__in=clients_for(user, need))


def get_alert_for(user: Any, alert_id: object, need: Need = Need.WRITE_CLINICAL) -> RiskAlert:
    try:
        return alerts_for(user, need).select_related("client", "administration").get(pk=alert_id)
    except (RiskAlert.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "risk_alert", alert_id, need) from None


def instrument_or_404(key: object) -> library.Instrument:
    """The library is public knowledge, so an unknown key is a plain 404, not audited."""
    try:
        return library.get(str(key))
    except KeyError:
        raise Http404("No such instrument") from None


def self_report_throttled(ip: str) -> bool:
    """True when this address failed too many link lookups recently."""
    if not ip:
        return False
    since = (timezone.now() - timedelta(minutes=SELF_REPORT_WINDOW_MINUTES)).astimezone(UTC)
    failures = AuditEvent.objects.filter(
        action="self_report.invalid_token",
        ip=ip,
        at__gte=since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    return failures.count() >= SELF_REPORT_MAX_FAILURES
