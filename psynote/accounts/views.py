from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts import actions, throttle
from psynote.accounts.access import get_practice_user_for, get_token_for, require_role
from psynote.accounts.forms import TokenForm, UserForm
from psynote.accounts.models import Role, User
from psynote.accounts.signals import password_set
from psynote.audit import log
from psynote.audit.context import current_ip

LOCKED_MESSAGE = (
    "Too many failed logins. Wait {minutes} minutes and try again, or ask your "
    "practice admin to check your account."
)

# Where each role starts its day.
HOME_BY_ROLE = {
    Role.CLINICIAN: "caseload",
    Role.SUPERVISOR: "caseload",
    Role.ADMIN: "user_list",
    Role.FRONT_DESK: "client_list",
    Role.PRIVACY: "audit_log",
}


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request)
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        password = request.POST.get("password", "")
        form = AuthenticationForm(request, data=request.POST)
        if throttle.is_locked(username, current_ip.get()):
            log.record_by(
                None,
                "login.refused",
                target_type="user",
                target_id=username.lower()[:64],
                detail={"reason": "throttled"},
            )
            form.add_error(None, LOCKED_MESSAGE.format(minutes=settings.LOGIN_LOCKOUT_MINUTES))
            return render(request, "accounts/login.html", {"form": form}, status=429)
        user = authenticate(request, username=username, password=password)
        if user is None:
            log.record_by(None, "login.failed", target_type="user", target_id=username.lower()[:64])
            form.add_error(None, "That username and password do not match an active account.")
            return render(request, "accounts/login.html", {"form": form}, status=200)
        login(request, user)
        log.record_by(user, "login.success", target_type="user", target_id=user.username)
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            target, {request.get_host()}, require_https=request.is_secure()
        ):
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


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(request.user.role, "account"))


# --- The admin's user pages ---------------------------------------------------------------


def _show_errors(form: Form, error: ValidationError) -> None:
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
        .select_related("supervisor")
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
            with transaction.atomic():
                user = actions.create_user(
                    by=request.user,
                    practice=practice,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    **form.profile(),
                )
                password_set.send(sender=User, user=user,
                                  raw_password=form.cleaned_data["password1"],
                                  old_raw_password=None, by_admin=True)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                f"{user.get_full_name() or user.username} can now log in as “{user.username}”.",
            )
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


@require_http_methods(["GET", "POST"])
@require_role(Role.ADMIN)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_practice_user_for(request.user, user_id)
    form = UserForm(request.POST or None, instance=target, practice=request.user.practice)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                actions.update_user(
                    by=request.user,
                    user=target,
                    password=form.cleaned_data["password1"],
                    **form.profile(),
                )
                if form.cleaned_data["password1"]:
                    password_set.send(sender=User, user=target,
                                      raw_password=form.cleaned_data["password1"],
                                      old_raw_password=None,
                                      by_admin=target.pk != request.user.pk)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Saved {target.get_full_name() or target.username}.")
            return redirect("user_list")
    # The form may have changed the instance in memory; show the stored name in the title.
    stored = User.objects.get(pk=target.pk)
    return render(request, "accounts/user_form.html", {"form": form, "editing": stored})


# --- My account: profile, password, personal API tokens -----------------------------------


def _account_page(
    request: HttpRequest,
    *,
    password_form: Form | None = None,
    token_form: Form | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "password_form": password_form or PasswordChangeForm(request.user),
        "token_form": token_form or TokenForm(),
        "tokens": request.user.api_tokens.order_by("revoked_at", "-created_at"),
        "new_token": new_token,
    }
    response = render(request, "accounts/account.html", context, status=status)
    if new_token:  # shown once: keep it out of every cache and the back button
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@require_POST
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                actions.change_password(by=request.user,
                                        password=form.cleaned_data["new_password1"])
                password_set.send(sender=User, user=request.user,
                                  raw_password=form.cleaned_data["new_password1"],
                                  old_raw_password=form.cleaned_data["old_password"],
                                  by_admin=False)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            # Keep this session; every other session of this user ends with the old hash.
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password is changed.")
            return redirect("account")
    return _account_page(request, password_form=form)


@require_POST
@login_required
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _, secret = actions.issue_token(by=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            _show_errors(form, error)
        else:
            # Rendered, not redirected: the secret must never sit in a session or a URL.
            return _account_page(request, new_token=secret)
    return _account_page(request, token_form=form)


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_token_for(request.user, token_id)
    if token.revoked_at is not None:
        messages.info(request, f"The token “{token.name}” was already revoked.")
    else:
        actions.revoke_token(by=request.user, token=token)
        messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("account")
