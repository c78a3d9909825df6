import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from psynote.audit import log

# How stale the recorded activity may get: the timeout is kept to within this much, and a
# burst of requests costs one session write, not one each.
TOUCH_SECONDS = 60


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
        return self.get_response(request)
