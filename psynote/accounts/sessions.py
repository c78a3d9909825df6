"""Signed-in sessions a user can see and end.

Every login (Django's `user_logged_in`, so the login page and tests' force_login alike)
records a SignedInSession keyed by the session key; logging out removes it. Ending a
session deletes it from Django's session store, so its cookie stops working at the next
request, and removes the row. Rows whose session has expired in the store are pruned when
listed. The 0002 migration signed everyone out once, so no session predates its row.
"""

from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from psynote.accounts.models import SignedInSession
from psynote.audit.log import client_ip


def _store(session_key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


@receiver(user_logged_in, dispatch_uid="psynote.accounts.sessions.record")
def record(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    now = timezone.now()
    SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


@receiver(user_logged_out, dispatch_uid="psynote.accounts.sessions.forget")
def forget(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SignedInSession.objects.filter(session_key=session.session_key).delete()


def touch(request: HttpRequest) -> None:
    """Note the session's latest request (called at most once a minute per session)."""
    key = request.session.session_key
    if not key:
        return
    seen = SignedInSession.objects.filter(session_key=key, user_id=request.user.pk)
    if not seen.update(last_seen_at=timezone.now(), ip=client_ip(request)):
        record(None, request, request.user)


def renamed(old_key: str | None, new_key: str | None) -> None:
    """The session's key changed (Django cycles it on a password change): follow it."""
    if old_key and new_key and old_key != new_key:
        SignedInSession.objects.filter(session_key=old_key).update(session_key=new_key)


def live_for(user: Any) -> QuerySet[SignedInSession]:
    """The user's sessions that can still be used, newest activity first; prunes the rest."""
    rows = SignedInSession.objects.filter(user_id=user.pk)
    # last_seen_at lags a minute behind (touch): leave that much slack before pruning.
    idle_limit = timezone.now() - timedelta(minutes=settings.IDLE_TIMEOUT_MINUTES + 2)
    keys = list(rows.values_list("session_key", flat=True))
    alive = set(
        Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
            "session_key", flat=True
        )
    )
    rows.exclude(session_key__in=alive).delete()
    rows.filter(last_seen_at__lt=idle_limit).delete()  # the idle logout would end it anyway
    return SignedInSession.objects.filter(user_id=user.pk).order_by("-last_seen_at")


def end(rows: QuerySet[SignedInSession] | list[SignedInSession]) -> int:
    """End these sessions now: their cookies stop working at the next request."""
    ended = 0
    for row in list(rows):
        _store(row.session_key).delete()
        row.delete()
        ended += 1
    return ended


def end_all(user: Any, *, keep: str | None = None) -> int:
    """End every session of `user`, except the one whose key is `keep`."""
    rows = SignedInSession.objects.filter(user_id=user.pk)
    if keep:
        rows = rows.exclude(session_key=keep)
    return end(rows)
