"""Signing in and out, and the practice admin's pages: users and the sign-in policy.

The user's own pages (password, tokens, sessions, two-factor) are in account_views.py.
"""

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts import actions, mfa, throttle
from psynote.accounts.access import get_practice_user_for, require_role
from psynote.accounts.forms import (
    CodeForm,
    LoginForm,
    MfaPolicyForm,
    PracticeDetailsForm,
    UserForm,
)
from psynote.accounts.middleware import MFA_ENROL_REQUIRED
from psynote.accounts.models import ALWAYS_MFA_ROLES, PRACTICE_ROLES, Practice, Role, User
from psynote.audit import log
from psynote.audit.context import current_ip

# Where each role starts its day.
HOME_BY_ROLE = {
    Role.CLINICIAN: "dashboard",
    Role.SUPERVISOR: "dashboard",
    Role.ADMIN: "user_list",
    Role.FRONT_DESK: "client_list",
    Role.PRIVACY: "audit_log",
    Role.OPERATOR: "operator_practices",
}
# Password accepted, second factor awaited: {"user": pk, "since": epoch, "next": url}.
PENDING = "mfa_pending"
PENDING_SECONDS = 300
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- signing in -----------------------------------------------------------------------------


def _chain_of(username: str) -> int | None:
    """The audit chain of a sign-in attempt: that of the account it names, if any (an
    operator's is the installation's), else None: audit.log decides (ADR 0017)."""
    found = list(User.objects.filter(username=username).values_list("practice_id", flat=True))
    if not found:
        return None
    return found[0] or log.INSTALLATION_CHAIN


def _locked(request: HttpRequest, username: str) -> HttpResponse:
    """The answer while a username or address is locked: counted as an attempt, and the
    same bytes whatever was typed, because nothing typed was checked."""
    log.record_by(None, "login.refused", practice_id=_chain_of(username), target_type="user",
                  target_id=username.lower()[:64],
                  detail={"reason": "throttled"})
    context = {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return render(request, "accounts/locked.html", context, status=429)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def _signed_in(request: HttpRequest, user: User, target: str, second_factor: str
               ) -> HttpResponse:
    login(request, user, backend=MODEL_BACKEND)
    log.record_by(user, "login.success", target_type="user", target_id=user.username,
                  detail={"second_factor": second_factor or "none"})
    for notice in actions.show_notices(user):
        messages.warning(request, str(notice))
    if second_factor == "recovery":
        left = mfa.recovery_codes_left(user)
        messages.warning(request, f"You signed in with a recovery code; {left} left. Make new "
                                  "ones on your account page if you are running out.")
    enrol = not second_factor and mfa.required_for(user)
    if enrol:  # the gate middleware keeps the user on the set-up page until it is done
        request.session[MFA_ENROL_REQUIRED] = True
    if user.must_change_password:
        return redirect("password_choose")
    if enrol:
        messages.info(request, "Your role signs in with two factors: set up an authenticator "
                               "app before you go on.")
        return redirect("mfa_setup")
    return redirect(target)


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm()
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        password = request.POST.get("password", "")
        if throttle.is_locked(username, current_ip.get()):
            return _locked(request, username)
        form = LoginForm(data={"username": username})  # never the password: not echoed
        user = authenticate(request, username=username, password=password)
        if user is None:
            log.record_by(None, "login.failed", practice_id=_chain_of(username),
                          target_type="user", target_id=username.lower()[:64])
            form.add_error(None, "That username and password do not match an active account.")
            return render(request, "accounts/login.html", {"form": form}, status=200)
        if mfa.is_enrolled(user):
            request.session.cycle_key()
            request.session[PENDING] = {"user": user.pk, "since": time.time(),
                                        "next": _next_url(request)}
            return redirect("login_code")
        return _signed_in(request, user, _next_url(request), second_factor="")
    return render(request, "accounts/login.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = request.session.get(PENDING)
    user = None
    if pending and time.time() - pending.get("since", 0) <= PENDING_SECONDS:
        user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        if request.user.is_authenticated:
            return redirect("home")
        messages.info(request, "Please log in again.")
        return redirect("login")
    error = ""
    if request.method == "POST":
        if throttle.is_locked(user.username, current_ip.get()):
            request.session.pop(PENDING, None)
            return _locked(request, user.username)
        form = CodeForm(request.POST)
        method = mfa.check_code(user, form.cleaned_data["code"]) if form.is_valid() else None
        if method:
            request.session.pop(PENDING, None)
            return _signed_in(request, user, pending.get("next") or "/", second_factor=method)
        chain = user.practice_id or log.INSTALLATION_CHAIN  # an operator's: the installation's
        log.record_by(None, "login.failed", practice_id=chain, target_type="user",
                      target_id=user.username.lower()[:64], detail={"reason": "second factor"})
        error = ("That code is not valid. A code from the app works once, for about a "
                 "minute; a recovery code works once.")
    context = {"form": CodeForm(), "error": error}
    return render(request, "accounts/login_code.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        log.record_by(request.user, "logout", target_type="user", target_id=request.user.username)
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("login")


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(request.user.role, "account"))


# --- The admin's user pages ---------------------------------------------------------------


def show_errors(form: Form, error: ValidationError) -> None:
    """Put an action's refusal on the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
@require_role(Role.ADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    users = (
        User.objects.filter(practice_id=request.user.practice_id)
        .select_related("totp_device")
        .prefetch_related("supervisions_received__supervisor")
        .order_by("-is_active", "last_name", "first_name")
    )
    return render(request, "accounts/user_list.html", {"users": users})


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def user_new(request: HttpRequest) -> HttpResponse:
    practice = request.user.practice
    form = UserForm(request.POST or None, practice=practice, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.create_user(
                by=request.user,
                practice=practice,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                **form.profile(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                f"{user.get_full_name() or user.username} can now log in as “{user.username}” "
                "and will be asked to choose their own password.",
            )
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


def _user_page(request: HttpRequest, form: UserForm, target: User) -> HttpResponse:
    # The form may have changed the instance in memory; show the stored name in the title.
    stored = User.objects.get(pk=target.pk)
    context: dict[str, Any] = {
        "form": form,
        "editing": stored,
        "mfa_enrolled": mfa.is_enrolled(stored),
        "session_count": stored.signed_in_sessions.count(),
        "token_count": stored.api_tokens.active().count(),
    }
    return render(request, "accounts/user_form.html", context)


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_practice_user_for(request.user, user_id)
    form = UserForm(request.POST or None, instance=target, practice=request.user.practice)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_user(
                by=request.user,
                user=target,
                password=form.cleaned_data["password1"],
                **form.profile(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            name = target.get_full_name() or target.username
            if form.cleaned_data["password1"]:
                messages.success(request, f"Saved {name}. The new password works once: "
                                 f"{name} must choose their own at sign-in, is told you reset "
                                 "it, and every session and API token of theirs has ended.")
            else:
                messages.success(request, f"Saved {name}.")
            return redirect("user_list")
    return _user_page(request, form, target)


@require_POST
@require_role(Role.ADMIN)
def user_sign_out(request: HttpRequest, user_id: int) -> HttpResponse:
    """End every session of the user and revoke their API tokens."""
    target = get_practice_user_for(request.user, user_id)
    ended, revoked = actions.sign_out_everywhere(by=request.user, user=target)
    messages.success(request, f"{target.get_full_name() or target.username}: {ended} "
                              f"session{'s' if ended != 1 else ''} ended, {revoked} API "
                              f"token{'s' if revoked != 1 else ''} revoked.")
    if target.pk == request.user.pk:  # this session ended too
        logout(request)
        return redirect("login")
    return redirect("user_edit", user_id=target.pk)


@require_POST
@require_role(Role.ADMIN)
def user_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_practice_user_for(request.user, user_id)
    try:
        actions.reset_mfa(by=request.user, user=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = target.get_full_name() or target.username
        again = " and must set it up again at sign-in" if mfa.required_for(target) else ""
        messages.success(request, f"Two-factor sign-in of {name} is off; they were signed "
                                  f"out{again}.")
    return redirect("user_edit", user_id=target.pk)


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def practice_security(request: HttpRequest) -> HttpResponse:
    practice = request.user.practice
    form = MfaPolicyForm(request.POST or None,
                         initial={"roles": practice.mfa_required_roles or []})
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_mfa_policy(by=request.user, practice=practice,
                                   roles=form.cleaned_data["roles"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Saved. It applies from each user's next sign-in.")
            return redirect("practice_security")
    always = [r.label for r in PRACTICE_ROLES if r in ALWAYS_MFA_ROLES]
    return render(request, "accounts/practice_security.html", {"form": form, "always": always})


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def practice_details(request: HttpRequest) -> HttpResponse:
    practice = Practice.objects.get(pk=request.user.practice_id)  # the form edits a copy
    form = PracticeDetailsForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_practice_details(by=request.user, practice=practice,
                                         **{k: form.cleaned_data[k] for k in form.Meta.fields})
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Saved. Exports name the practice this way from now on.")
            return redirect("practice_details")
    return render(request, "accounts/practice_details.html", {"form": form})
