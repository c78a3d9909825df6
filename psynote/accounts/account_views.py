"""My account: profile, password, personal API tokens, signed-in sessions, two-factor.

Secrets shown once (a new token, recovery codes) are rendered, never redirected to: they
must never sit in a session or a URL.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts import actions, mfa, sessions, throttle
from psynote.accounts.access import get_signed_in_session_for, get_token_for
from psynote.accounts.forms import EnrolForm, PasswordAgainForm, TokenForm
from psynote.accounts.middleware import MFA_ENROL_REQUIRED
from psynote.accounts.views import show_errors
from psynote.audit import log
from psynote.audit.context import current_ip


def _password_checks(request: HttpRequest, form: Form) -> bool:
    """The password typed again is the user's; a wrong one counts as a failed login."""
    user = request.user
    if throttle.is_locked(user.username, current_ip.get()):
        form.add_error("password", "Too many failed attempts: wait and try again.")
        return False
    if user.check_password(form.cleaned_data["password"]):
        return True
    log.record_by(None, "login.failed", practice_id=user.practice_id, target_type="user",
                  target_id=user.username.lower()[:64], detail={"reason": "password again"})
    form.add_error("password", "That is not your password.")
    return False


def _account_page(
    request: HttpRequest,
    *,
    password_form: Form | None = None,
    token_form: Form | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "password_form": password_form or PasswordChangeForm(user),
        "token_form": token_form or TokenForm(),
        "tokens": user.api_tokens.order_by("revoked_at", "-created_at"),
        "new_token": new_token,
        "sessions": sessions.live_for(user),
        "current_session": request.session.session_key,
        "mfa_enrolled": mfa.is_enrolled(user),
        "mfa_required": mfa.required_for(user),
        "recovery_codes_left": mfa.recovery_codes_left(user),
        "token_days": settings.TOKEN_DAYS,
    }
    return render(request, "accounts/account.html", context, status=status)


@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@require_GET
@login_required
def password_choose(request: HttpRequest) -> HttpResponse:
    """The page a one-time password (set by someone else) leads to, and nothing else."""
    form = PasswordChangeForm(request.user)
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        old_key = request.session.session_key
        try:
            actions.change_password(by=request.user,
                                    password=form.cleaned_data["new_password1"],
                                    old_password=form.cleaned_data["old_password"],
                                    keep_session=old_key)
        except ValidationError as error:
            show_errors(form, error)
        else:
            # Keep this session (Django gives it a new key); the others ended with the old
            # password.
            update_session_auth_hash(request, request.user)
            sessions.renamed(old_key, request.session.session_key)
            messages.success(request, "Your password is changed. Your other sessions and "
                                      "your API tokens have ended.")
            return redirect("home" if request.session.get(MFA_ENROL_REQUIRED) else "account")
    if request.user.must_change_password:
        return render(request, "accounts/password_change.html", {"form": form})
    return _account_page(request, password_form=form)


@require_POST
@login_required
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid() and _password_checks(request, form):
        try:
            _, secret = actions.issue_token(by=request.user, name=form.cleaned_data["name"],
                                            read_only=form.cleaned_data["read_only"])
        except ValidationError as error:
            show_errors(form, error)
        else:
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


@require_POST
@login_required
def session_end(request: HttpRequest, signin_id: int) -> HttpResponse:
    record = get_signed_in_session_for(request.user, signin_id)
    current = record.session_key == request.session.session_key
    actions.end_session(by=request.user, record=record)
    if current:
        logout(request)
        messages.info(request, "You ended this session: you are logged out.")
        return redirect("login")
    messages.success(request, "That session has ended: it is signed out.")
    return redirect("account")


@require_POST
@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = actions.end_other_sessions(by=request.user, keep=request.session.session_key)
    messages.success(request, f"{ended} other session{'s' if ended != 1 else ''} ended.")
    return redirect("account")


# --- two-factor sign-in -----------------------------------------------------------------


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_http_methods(["GET", "POST"])
@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    if mfa.is_enrolled(request.user):
        request.session.pop(MFA_ENROL_REQUIRED, None)
        return redirect("account")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.confirm_totp(by=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            request.session.pop(MFA_ENROL_REQUIRED, None)
            return _codes_page(request, codes)
    _, secret = actions.start_totp(by=request.user)
    uri = mfa.provisioning_uri(request.user, secret)
    context = {
        "form": form,
        "qr": mfa.qr_svg(uri),
        "secret": mfa.format_secret(secret),
        "required": mfa.required_for(request.user),
    }
    return render(request, "accounts/mfa_setup.html", context)


@require_POST
@login_required
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    form = PasswordAgainForm(request.POST)
    if form.is_valid() and _password_checks(request, form):
        try:
            return _codes_page(request, actions.renew_recovery_codes(by=request.user))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("account")
    messages.error(request, "New recovery codes need your password: " + " ".join(
        str(e) for errors in form.errors.values() for e in errors))
    return redirect("account")


@require_POST
@login_required
def mfa_disable(request: HttpRequest) -> HttpResponse:
    form = PasswordAgainForm(request.POST)
    if form.is_valid() and _password_checks(request, form):
        try:
            actions.disable_totp(by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Two-factor sign-in is off.")
        return redirect("account")
    messages.error(request, "Turning off two-factor sign-in needs your password: " + " ".join(
        str(e) for errors in form.errors.values() for e in errors))
    return redirect("account")
