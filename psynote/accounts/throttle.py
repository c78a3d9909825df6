"""Login throttling, counted from the audit log's own `login.failed` events: after
PSYNOTE_LOGIN_MAX_FAILURES failures for one username (or 4x that from one address) within
PSYNOTE_LOGIN_LOCKOUT_MINUTES, further attempts are refused until the window passes."""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone

from psynote.audit.models import AuditEvent

PER_ADDRESS_FACTOR = 4


def _since() -> str:
    cutoff = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_locked(username: str, ip: str) -> bool:
    failures = AuditEvent.objects.filter(action="login.failed", at__gte=_since())
    if failures.filter(target_id=username.lower()[:64]).count() >= settings.LOGIN_MAX_FAILURES:
        return True
    limit = settings.LOGIN_MAX_FAILURES * PER_ADDRESS_FACTOR
    return bool(ip) and failures.filter(ip=ip).count() >= limit
