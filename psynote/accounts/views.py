from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from psynote.accounts import throttle
from psynote.audit import log
from psynote.audit.context import current_ip

LOCKED_MESSAGE = ("Too many failed logins. Wait {minutes} minutes and try again, or ask your "
                  "practice admin to check your account.")


def login_view(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request)
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        password = request.POST.get("password", "")
        form = AuthenticationForm(request, data=request.POST)
        if throttle.is_locked(username, current_ip.get()):
            log.record_by(None, "login.refused", target_type="user",
                          target_id=username.lower()[:64], detail={"reason": "throttled"})
            form.add_error(None, LOCKED_MESSAGE.format(minutes=settings.LOGIN_LOCKOUT_MINUTES))
            return render(request, "accounts/login.html", {"form": form}, status=429)
        user = authenticate(request, username=username, password=password)
        if user is None:
            log.record_by(None, "login.failed", target_type="user",
                          target_id=username.lower()[:64])
            form.add_error(None, "That username and password do not match an active account.")
            return render(request, "accounts/login.html", {"form": form}, status=200)
        login(request, user)
        log.record_by(user, "login.success", target_type="user", target_id=user.username)
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                               require_https=request.is_secure()):
            target = "/"
        return redirect(target)
    return render(request, "accounts/login.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        log.record_by(request.user, "logout", target_type="user", target_id=request.user.username)
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("login")
