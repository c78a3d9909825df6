"""Login and API-token throttling, counted from the audit log's own events.

After PSYNOTE_LOGIN_MAX_FAILURES failures for one username (or 4x that from one address)
within PSYNOTE_LOGIN_LOCKOUT_MINUTES, further attempts are refused until the window passes.
A refused attempt is itself counted (`login.refused`), so an attacker who keeps trying keeps
the lock on; and while locked, nothing about the password is checked or revealed.

API tokens have no username: failed token attempts (`api.auth_failed`) are counted per
address, with the same per-address limit as logins.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone

from psynote.audit.models import AuditEvent

PER_ADDRESS_FACTOR = 4
LOGIN_FAILURES = ("login.failed", "login.refused")


def _since() -> str:
    cutoff = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _address_limit() -> int:
    return settings.LOGIN_MAX_FAILURES * PER_ADDRESS_FACTOR


def is_locked(username: str, ip: str) -> bool:
    failures = AuditEvent.objects.filter(action__in=LOGIN_FAILURES, at__gte=_since())
    if failures.filter(target_id=username.lower()[:64]).count() >= settings.LOGIN_MAX_FAILURES:
        return True
    return bool(ip) and failures.filter(ip=ip).count() >= _address_limit()


def token_attempts_locked(ip: str) -> bool:
    if not ip:
        return False
    failures = AuditEvent.objects.filter(action="api.auth_failed", ip=ip, at__gte=_since())
    return failures.count() >= _address_limit()
