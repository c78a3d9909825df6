"""The author's page for their psychotherapy-note key (ADR 0009): make it, open it in this
session, recover it after a password reset, make a new recovery key.

Every step asks for the user's current password; a wrong one, a wrong recovery key or a
wrong previous password counts as a failed login (the login throttle then locks all of
them). A recovery key is rendered once, never redirected to: it must never sit in a
session, a URL or a cache.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from psynote.accounts import throttle
from psynote.accounts.access import require_role
from psynote.accounts.models import Role
from psynote.audit import log
from psynote.audit.context import current_ip
from psynote.notes import keyring, psychotherapy_keys

STEPS = ("open", "recover", "new_recovery_key")
NOT_CURRENT = "That is not your current password."
LOCKED = "Too many failed attempts. Wait and try again."
NOW_SEALED = (
    "Your password does not open your psychotherapy notes: it is not the password they "
    "were sealed with (it was reset, or changed without them). Give your recovery key, or "
    "the password you had before, below."
)
NOT_RECOVERED = (
    "That recovery key (or previous password) does not open your psychotherapy notes. "
    "Nothing was changed."
)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _failed(request: HttpRequest, reason: str) -> None:
    user = request.user
    log.record_by(None, "login.failed", practice_id=user.practice_id, target_type="user",
                  target_id=user.username.lower()[:64], detail={"reason": reason})


def _recovery_key_page(request: HttpRequest, phrase: str, next_url: str, first: bool
                       ) -> HttpResponse:
    context = {"phrase": phrase, "next": next_url, "first": first}
    response = render(request, "notes/psychotherapy_recovery_key.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _open(request: HttpRequest, password: str, next_url: str) -> HttpResponse | list[str]:
    user = request.user
    current = psychotherapy_keys.state(user)
    if current in ("none", "not_own_password"):
        try:
            key, phrase = psychotherapy_keys.set_up(user=user, password=password)
        except ValidationError as error:
            return list(error.messages)
        keyring.remember(request, user.pk, key)
        return _recovery_key_page(request, phrase, next_url, first=True)
    key = psychotherapy_keys.unlock(user=user, password=password, verified=True)
    if key is None:
        return [NOW_SEALED]
    keyring.remember(request, user.pk, key)
    messages.success(request, "Your psychotherapy notes are open in this session.")
    return redirect(next_url or "psychotherapy_key")


def _recover(request: HttpRequest, password: str, next_url: str) -> HttpResponse | list[str]:
    user = request.user
    result = psychotherapy_keys.recover(user=user, secret=request.POST.get("secret", ""),
                                        password=password)
    if result is None:
        _failed(request, "psychotherapy key recovery")
        return [NOT_RECOVERED]
    key, phrase = result
    keyring.remember(request, user.pk, key)
    if phrase:
        return _recovery_key_page(request, phrase, next_url, first=False)
    messages.success(request, "Your psychotherapy notes are open again, sealed under your "
                              "current password.")
    return redirect(next_url or "psychotherapy_key")


def _new_recovery_key(request: HttpRequest, next_url: str) -> HttpResponse | list[str]:
    user = request.user
    if not keyring.is_open(user.pk):
        return ["Open your psychotherapy notes first: a new recovery key is made from the "
                "open key."]
    phrase = psychotherapy_keys.new_recovery_key(user=user, key=keyring.key_for(user.pk))
    return _recovery_key_page(request, phrase, next_url, first=False)


@require_http_methods(["GET", "POST"])
@require_role(Role.CLINICIAN, Role.SUPERVISOR)
def psychotherapy_key(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next(request)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        password = request.POST.get("password", "")
        outcome: HttpResponse | list[str]
        if step not in STEPS:
            outcome, status = [f"Unknown step; choose one of {', '.join(STEPS)}."], 400
        elif throttle.is_locked(user.username, current_ip.get()):
            outcome, status = [LOCKED], 429
        elif not password or not user.check_password(password):
            _failed(request, "password again")
            outcome, status = [NOT_CURRENT], 400
        elif step == "open":
            outcome = _open(request, password, next_url)
        elif step == "recover":
            outcome = _recover(request, password, next_url)
        else:
            outcome = _new_recovery_key(request, next_url)
        if isinstance(outcome, HttpResponse):
            return outcome
        errors, status = outcome, status if status != 200 else 400
    row = psychotherapy_keys.key_row(user)
    context: dict[str, Any] = {
        "state": psychotherapy_keys.state(user),
        "key": row,
        "errors": errors,
        "next": next_url,
    }
    return render(request, "notes/psychotherapy_key.html", context, status=status)
