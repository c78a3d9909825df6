"""The author's psychotherapy-note key: made, opened, re-sealed and recovered (ADR 0009).

Only the author's own secrets open it: the password they chose (through the key derived
from it) or their recovery key. Every function that takes a password expects the user's
current password, checked by the caller, unless it says otherwise. Each write is one short
transaction with its audit event, after the key derivations (Argon2id costs about half a
second; a transaction held that long would stall every writer on SQLite). No event
carries a password, a recovery key or a key.

Hooks:
- at sign-in (`on_signed_in`, on Django's `user_logged_in`): the login form's password opens
  the key and the key is kept for the session (`keyring.remember`); a pre-ADR-0009 key is
  re-sealed under that password if it is the one the author had at the upgrade;
- whenever a password is set (`on_password_set`, on accounts.signals.password_set): the
  user's own change re-seals the key under the new password (the old one opens it);
  anything else (an admin's reset, a new account's admin-chosen password) leaves the key
  sealed under the author's previous secret and marks it sealed.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from psynote.audit import log
from psynote.lib import crypto
from psynote.notes import keyring
from psynote.notes.models import PsychotherapyKey

CHOSEN_BY_ANOTHER = (
    "Your password was chosen by someone else (your practice admin). Psychotherapy notes "
    "are sealed with a password only you know: choose your own on your account page first."
)


SEALED_HERE = (
    "Your psychotherapy notes are not open in this session, so nothing was saved. Open them "
    "first (see above)."
)


def key_row(user: Any, *, for_update: bool = False) -> PsychotherapyKey | None:
    rows = PsychotherapyKey.objects.filter(user_id=user.pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()


def state(user: Any) -> str:
    """What the author's psychotherapy notes need here and now:
    `open`, `none` (no key yet), `not_own_password` (none may be made yet), `locked` (the
    password would open it: sign in again or type it), `sealed` (only the recovery key or
    the password from before the reset opens it)."""
    if keyring.is_open(user.pk):
        return "open"
    row = key_row(user)
    if row is None:
        return "none"
    if not row.has_key:
        return "not_own_password" if row.sealed_since else "none"
    return "sealed" if row.sealed_since else "locked"


def _log(user: Any, action: str, **detail: Any) -> None:
    log.record_by(user, action, target_type="user", target_id=user.pk, detail=detail or None)


def _fingerprint(row: PsychotherapyKey | None) -> tuple[bytes, ...] | None:
    if row is None:
        return None
    return tuple(bytes(getattr(row, name)) for name in
                 ("password_wrapped", "recovery_wrapped", "legacy_wrapped"))


def _save_if_unchanged(row: PsychotherapyKey, seen: tuple[bytes, ...] | None) -> bool:
    """Save `row` (its new wrappings made outside any transaction: each Argon2id costs
    about half a second, and on SQLite a write transaction holds the whole database) if
    nobody changed the stored wrappings since `seen` was read."""
    current = PsychotherapyKey.objects.select_for_update().filter(pk=row.pk).first()
    if _fingerprint(current) != seen:
        return False
    if current is not None:
        row.created_at = current.created_at
    row.save()
    return True


def set_up(*, user: Any, password: str) -> tuple[bytes, str]:
    """The author's first key, sealed under their password and a new recovery key, which
    is returned to be shown once."""
    row = key_row(user)
    if row is not None and row.has_key:
        raise ValidationError("Your psychotherapy-note key already exists.")
    if row is not None and row.sealed_since:
        raise ValidationError(CHOSEN_BY_ANOTHER)
    fresh = PsychotherapyKey(user=user)
    key = crypto.new_key()
    fresh.seal_to_password(key, password)
    phrase = fresh.seal_to_new_recovery_key(key)
    with transaction.atomic():
        if not _save_if_unchanged(fresh, _fingerprint(row)):
            raise ValidationError("Your psychotherapy-note key was just made elsewhere; "
                                  "reload the page.")
        _log(user, "psychotherapy_key.create")
    return key, phrase


def unlock(*, user: Any, password: str, verified: bool = False) -> bytes | None:
    """The key, if `password` opens it; else None.

    `password` need not be checked: only the author's secret opens anything. With
    `verified` (the caller checked it is the account's current password), a password that
    does not open the key marks the key sealed. A pre-ADR-0009 key opened here is
    re-sealed under the password; a key sealed with older KDF costs, under today's."""
    row = key_row(user)
    if row is None or not row.has_key:
        return None
    seen = _fingerprint(row)
    key = row.open_with_password(password)
    legacy = False
    if key is None:
        key = row.open_legacy(password)
        legacy = key is not None
    if key is None:
        if verified and not row.sealed_since:
            PsychotherapyKey.objects.filter(pk=row.pk, sealed_since__isnull=True).update(
                sealed_since=timezone.now())
        return None
    if legacy or row.sealed_since or not row.password_cost_is_current():
        row.forget_legacy()
        row.seal_to_password(key, password)
        row.sealed_since = None
        with transaction.atomic():
            if _save_if_unchanged(row, seen) and legacy:
                _log(user, "psychotherapy_key.seal_to_author")
    return key


def recover(*, user: Any, secret: str, password: str) -> tuple[bytes, str | None] | None:
    """Open a sealed key with the recovery key or the password from before the reset, and
    re-seal it under `password` (the current one, checked by the caller). A recovery key
    that was used is spent: a new one is returned, to be shown once."""
    row = key_row(user)
    if row is None or not row.has_key or not secret:
        return None
    seen = _fingerprint(row)
    key = row.open_with_recovery_key(secret)
    used = "recovery_key" if key is not None else "previous_password"
    if key is None:
        key = row.open_with_password(secret) or row.open_legacy(secret)
    if key is None:
        return None
    row.forget_legacy()
    row.seal_to_password(key, password)
    row.sealed_since = None
    phrase = None
    if used == "recovery_key" or not row.has_recovery_key:
        phrase = row.seal_to_new_recovery_key(key)
    with transaction.atomic():
        if not _save_if_unchanged(row, seen):
            return None
        _log(user, "psychotherapy_key.recover", using=used, new_recovery_key=phrase is not None)
    return key, phrase


@transaction.atomic
def new_recovery_key(*, user: Any, key: bytes) -> str:
    """Replace the recovery key (the old one stops working). `key` is the author's key as
    opened by their own secret (`keyring.key_for`)."""
    row = key_row(user, for_update=True)
    if row is None or not row.has_key:
        raise ValidationError("You have no psychotherapy-note key yet.")
    phrase = row.seal_to_new_recovery_key(key)
    row.save()
    _log(user, "psychotherapy_key.new_recovery_key")
    return phrase


# --- hooks ------------------------------------------------------------------------------


def on_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On `user_logged_in`: the login form's password, when there is one, opens the key
    for this session. (A sign-in finished by a second step has no password in that
    request; the psychotherapy pages then ask for it once.)"""
    if request is None or request.method != "POST":
        return
    password = request.POST.get("password", "")
    if not password or not PsychotherapyKey.objects.filter(user_id=user.pk).exists():
        return
    key = unlock(user=user, password=password)
    if key is not None:
        keyring.remember(request, user.pk, key)


def on_password_set(sender: Any, user: Any, raw_password: str, old_raw_password: str | None,
                 by_admin: bool, **kwargs: Any) -> None:
    """On accounts.signals.password_set: follow the user's own change; seal on anything
    else. Runs in the caller's transaction when there is one."""
    with transaction.atomic():
        row = key_row(user, for_update=True)
        if by_admin:
            if row is None:  # no key yet: none may be made under a password chosen for them
                row = PsychotherapyKey(user_id=user.pk)
            if not row.sealed_since:
                row.sealed_since = timezone.now()
                row.save()
                if row.has_key:
                    _log(user, "psychotherapy_key.sealed", reason="password set by another")
            return
        if row is None:
            return
        if not row.has_key:  # their own password now: a key may be made under it
            row.sealed_since = None
            row.save(update_fields=["sealed_since"])
            return
        key = None
        if old_raw_password:
            key = row.open_with_password(old_raw_password) or row.open_legacy(old_raw_password)
        if key is not None:
            row.forget_legacy()
            row.seal_to_password(key, raw_password)
            row.sealed_since = None
            row.save()
            _log(user, "psychotherapy_key.reseal")
        elif not row.sealed_since:
            row.sealed_since = timezone.now()
            row.save(update_fields=["sealed_since"])
