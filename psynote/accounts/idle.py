"""The page's side of the idle logout (45 CFR 164.312(a)(2)(iii), automatic logoff).

A page asks how long its session has left without renewing it, renews it when the user
chooses to stay signed in, and learns that the user has signed in again in another tab.
`psynote/static/psynote/app.js` uses these so that text typed while the session ran out
is never taken as saved: see docs/accessibility.md.
"""

import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from psynote.accounts import sessions


def seconds_left(request: HttpRequest) -> int:
    """Whole seconds until the idle logout, from the activity the middleware recorded."""
    timeout = settings.IDLE_TIMEOUT_MINUTES * 60
    last = request.session.get("last_activity")
    if last is None:
        return timeout
    return max(0, int(timeout - (time.time() - last)))


def _state(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({
        "signed_in": True,
        "username": request.user.username,
        "seconds_left": seconds_left(request),
        # The page's forms need the token of this session: signing in again (in another
        # tab) rotates it, and a form posted with the old one would be refused.
        "csrf_token": get_token(request),
    })


@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long is left. Asking is not activity: the idle middleware neither renews the
    session for this path nor answers it with the login page (a 401 says signed out)."""
    return _state(request)


@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> JsonResponse:
    """"Stay signed in": renew the idle clock now (the middleware renews at most once a
    minute, so this sets it outright)."""
    if request.user.is_authenticated:
        request.session["last_activity"] = time.time()
        sessions.touch(request)  # what the user's list of sessions shows
    return _state(request)


@never_cache
@login_required
@require_GET
def signed_in_again(request: HttpRequest) -> HttpResponse:
    """Where "Sign in again" (opened in a new tab) lands: the tab with the unsaved text
    notices the new session by itself and saves."""
    return render(request, "accounts/signed_in_again.html")
