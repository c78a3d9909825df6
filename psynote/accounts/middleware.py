import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from psynote.accounts import sessions
from psynote.accounts.models import Role
from psynote.audit import log

# How stale the recorded activity may get: the timeout is kept to within this much, and a
# burst of requests costs one session write, not one each.
TOUCH_SECONDS = 60
# Set at sign-in when the user's role requires a second factor they have not set up.
MFA_ENROL_REQUIRED = "mfa_enrol_required"


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response Django makes: pages, API JSON, PDFs,
    CSV and export packages must not linger in a browser's or proxy's cache (ADR 0007).
    Static files are served by WhiteNoise above this and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


class IdleLogoutMiddleware:
    """Log out after PSYNOTE_IDLE_TIMEOUT_MINUTES without a request (164.312(a)(2)(iii)).

    The session cookie's age is the same limit; this also catches a session whose cookie
    a browser kept alive, and leaves an audit event saying why the user was logged out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get("last_activity", now)
            # A page asking how long is left (accounts.idle) is not activity, and gets its
            # answer (401 once signed out), not the login page.
            asking = request.path == reverse("session_status")
            if now - last > settings.IDLE_TIMEOUT_MINUTES * 60:
                log.record_by(request.user, "logout.idle", target_type="user",
                              target_id=request.user.username)
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, "You were logged out after a period of inactivity.")
                    if not asking:
                        return redirect_to_login(request.get_full_path())
            elif not asking and (now - last >= TOUCH_SECONDS
                                 or "last_activity" not in request.session):
                request.session["last_activity"] = now  # saves the session, renewing its age
                sessions.touch(request)  # what the user's list of sessions shows
        return self.get_response(request)


# What the installation's operator may open besides the operator's own pages (url names
# beginning with "operator_"): signing in and out, the idle clock, their own account. All
# else, every clinical and practice page and the whole API, is a 404 (ADR 0017).
OPERATOR_ROUTES = {
    "login", "logout", "login_code", "favicon", "home", "session_status",
    "session_keep_alive", "signed_in_again", "account", "password_change", "password_choose",
    "session_end", "sessions_end_others", "mfa_setup", "mfa_recovery_codes", "mfa_disable",
}


def operator_may_open(url_name: str | None) -> bool:
    return bool(url_name) and (url_name in OPERATOR_ROUTES
                               or str(url_name).startswith("operator_"))


class AccountGateMiddleware:
    """Until a one-time password is changed, or a required second factor set up, the user
    reaches only that page and logging out (ADR 0007). Session API calls get a 403.

    It is also the operator's wall: an operator reaches only OPERATOR_ROUTES and the
    operator pages, whatever each view's own access function would say (ADR 0017)."""

    # The page's idle clock (accounts.idle) keeps working on the one page left open.
    IDLE_CLOCK = {"session_status", "session_keep_alive"}
    CHANGE_PASSWORD = ("password_choose",
                       {"password_choose", "password_change", "logout", *IDLE_CLOCK})
    ENROL_MFA = ("mfa_setup", {"mfa_setup", "logout", *IDLE_CLOCK})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any
                     ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        api = request.path.startswith("/api/")
        if user.role == Role.OPERATOR and (
                api or not operator_may_open(match.url_name if match else None)):
            log.record_by(user, "access.denied", target_type="page",
                          target_id=request.path[:64], detail={"need": "practice member"})
            if api:
                return JsonResponse({"detail": "Not found", "errors": []}, status=404)
            raise Http404("Not found")
        if user.must_change_password:
            target, allowed = self.CHANGE_PASSWORD
            why = "choose a new password first (yours was set by someone else)"
        elif request.session.get(MFA_ENROL_REQUIRED):
            target, allowed = self.ENROL_MFA
            why = "set up two-factor sign-in first"
        else:
            return None
        if match is not None and match.url_name in allowed:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": f"Forbidden: {why}", "errors": []}, status=403)
        return redirect(target)
