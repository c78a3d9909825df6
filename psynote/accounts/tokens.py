"""Checking a personal API token (psynote.api's TokenAuth calls this).

Refusals are audited as `api.auth_failed` with the reason, never with the token. Failed
attempts are throttled per address like logins (accounts.throttle): while an address is
locked, no token from it is even looked up, and each try counts.
"""

from datetime import timedelta

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from psynote.accounts import throttle
from psynote.accounts.models import ApiToken, Role, User
from psynote.audit import log
from psynote.audit.context import current_ip

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Writing last_used_at on every call would turn every read into a write: it is written
# only when older than this (the row read to check the token says so, no statement).
TOUCH_INTERVAL = timedelta(minutes=1)


class TokenRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _refuse(row: ApiToken | None, reason: str) -> TokenRefused:
    log.record_by(
        None,
        "api.auth_failed",
        # An operator's token: the installation's chain (ADR 0017).
        practice_id=(row.user.practice_id or log.INSTALLATION_CHAIN) if row is not None else None,
        target_type="api_token",
        target_id=row.pk if row is not None else "",
        detail={"reason": reason},
    )
    if reason == "throttled":
        return TokenRefused(429, "too many failed API token attempts from this address: "
                                 "wait and try again")
    return TokenRefused(401, "the API token is not valid")


def refuse_malformed() -> TokenRefused:
    return _refuse(None, "malformed Authorization header")


def authenticate(request: HttpRequest, token: str) -> User:
    """The token's user, with request.user set to it; else raises TokenRefused."""
    if throttle.token_attempts_locked(current_ip.get()):
        raise _refuse(None, "throttled")
    row = None
    if token.startswith(ApiToken.PREFIX) and len(token) <= 200:
        found = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash(token))
        row = found.first()
    if row is None:
        raise _refuse(None, "unknown token")
    if row.revoked_at is not None:
        raise _refuse(row, "revoked token")
    now = timezone.now()
    if row.expires_at <= now:
        raise _refuse(row, "expired token")
    if not row.user.is_active:
        raise _refuse(row, "user deactivated")
    if row.user.role == Role.OPERATOR:
        # The operator has no API: every route answers as for a thing that does not exist
        # (ADR 0017). Recorded in the installation's chain, where the operator's acts go.
        log.record_by(row.user, "access.denied", target_type="page",
                      target_id=request.path[:64], detail={"need": "practice member"})
        raise TokenRefused(404, "Not found")
    if row.read_only and request.method not in SAFE_METHODS:
        raise TokenRefused(403, "this API token is read-only: it may only read (GET)")
    if row.last_used_at is None or row.last_used_at < now - TOUCH_INTERVAL:
        # The condition again in the update: two calls at once touch the row once.
        ApiToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
        ).update(last_used_at=now)
    request.user = row.user
    return row.user
