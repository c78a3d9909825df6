"""Writes to accounts: users, passwords, API tokens, signed-in sessions, two-factor sign-in.

Each action is keyword-only, atomic, and writes its audit event in the same transaction.
No event carries a password, a code, a TOTP secret or a token (ADR 0007).
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.accounts import mfa, sessions
from psynote.accounts.models import (
    ALWAYS_MFA_ROLES,
    PRACTICE_ROLES,
    AccountNotice,
    ApiToken,
    Practice,
    RecoveryCode,
    Role,
    SignedInSession,
    TotpDevice,
    User,
)
from psynote.accounts.signals import password_set
from psynote.audit import log

PROFILE_FIELDS = ("first_name", "last_name", "email", "role", "credentials", "licence_number",
                  "licence_state", "is_active")


def _apply(user: User, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(user, name, value)
    if user.role not in PRACTICE_ROLES:  # never the operator: see create_operator
        raise ValidationError({"role": "role must be one of "
                                       + ", ".join(r.value for r in PRACTICE_ROLES)})
    user.full_clean(exclude=["password", "practice"])
    return sorted(fields)


def _refuse_self_lockout(by: Any, user: User, fields: dict[str, Any]) -> None:
    """An admin cannot lock themselves out: someone must always be able to manage users."""
    if by is None or getattr(by, "pk", None) != user.pk:
        return
    if "is_active" in fields and not fields["is_active"]:
        raise ValidationError({"is_active": "You cannot deactivate your own account. Ask "
                                            "another practice admin to do it."})
    if by.role == Role.ADMIN and fields.get("role", Role.ADMIN) != Role.ADMIN:
        raise ValidationError({"role": "You cannot remove your own admin role. Ask another "
                                       "practice admin to do it."})


def _notify(user: User, kind: str, by: Any) -> None:
    name = by.signature_name if by is not None else "The server's operator"
    AccountNotice.objects.create(user=user, kind=kind, by=by, by_name=name[:300])


def _revoke_tokens(user: User) -> int:
    return ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _password_set(user: User, password: str, *, old: str | None, by_admin: bool) -> None:
    """After the user row is saved: tell receivers (they may re-wrap keys under it)."""
    password_set.send(sender=User, user=user, raw_password=password,
                      old_raw_password=old, by_admin=by_admin)


# --- users --------------------------------------------------------------------------------


@transaction.atomic
def create_user(*, by: Any, practice: Practice, username: str, password: str,
                one_time: bool | None = None, **fields: Any) -> User:
    """A new account. A password chosen by someone else (an admin: `by` is set) is one-time:
    the user must change it at first sign-in. `psynote createuser` (by=None: the operator
    at the server) sets a lasting one; `one_time` overrides either way (ADR 0007)."""
    user = User(practice=practice, username=username)
    _apply(user, fields)
    validate_password(password, user)
    one_time = by is not None if one_time is None else one_time
    user.set_password(password)
    user.must_change_password = one_time
    user.save()
    log.record(practice_id=practice.pk, actor=by, action="user.create", target_type="user",
               target_id=user.pk, detail={"username": username, "role": user.role,
                                          "one_time_password": one_time})
    if one_time:
        _notify(user, AccountNotice.Kind.ACCOUNT_CREATED, by)
    _password_set(user, password, old=None, by_admin=one_time)
    return user


@transaction.atomic
def create_operator(*, by: Any, username: str, password: str, first_name: str = "",
                    last_name: str = "", email: str = "") -> User:
    """The installation's operator (ADR 0017): in no practice, so no access function ever
    matches them. Only `psynote createoperator` (the person at the server) makes one; the
    event goes to the installation's chain, not to any practice's."""
    user = User(practice=None, username=username, role=Role.OPERATOR, first_name=first_name,
                last_name=last_name, email=email)
    user.full_clean(exclude=["password", "practice"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    log.record(practice_id=log.INSTALLATION_CHAIN, actor=by, action="operator.create",
               target_type="user", target_id=user.pk, detail={"username": username})
    _password_set(user, password, old=None, by_admin=False)
    return user


@transaction.atomic
def update_user(*, by: Any, user: User, password: str = "", **fields: Any) -> User:
    _refuse_self_lockout(by, user, fields)
    if password and by is not None and by.pk == user.pk:
        raise ValidationError({"password1": "Change your own password on your account page, "
                                            "where it asks for the current one."})
    was_active = User.objects.filter(pk=user.pk).values_list("is_active", flat=True).first()
    changed = _apply(user, fields)
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.must_change_password = True
        changed.append("password")
    user.save()
    log.record_by(by, "user.update", target_type="user", target_id=user.pk,
                  detail={"fields": changed})
    if password:
        _after_reset(by=by, user=user)
        _password_set(user, password, old=None, by_admin=True)
    if was_active and not user.is_active:
        revoked = _revoke_tokens(user)
        ended = sessions.end_all(user)
        log.record_by(by, "user.deactivate", target_type="user", target_id=user.pk,
                      detail={"tokens_revoked": revoked, "sessions_ended": ended})
    return user


def _after_reset(*, by: Any, user: User) -> None:
    """Someone else set the password: every session and token ends, the user is told, and
    the privacy officer's log flags it (`user.password_reset`)."""
    revoked = _revoke_tokens(user)
    ended = sessions.end_all(user)
    _notify(user, AccountNotice.Kind.PASSWORD_RESET, by)
    chain = user.practice_id or log.INSTALLATION_CHAIN  # an operator's: the installation's
    log.record_by(by, "user.password_reset", practice_id=chain, target_type="user",
                  target_id=user.pk,
                  detail={"username": user.username, "tokens_revoked": revoked,
                          "sessions_ended": ended})


@transaction.atomic
def set_password_by_operator(*, user: User, password: str, one_time: bool) -> None:
    """`psynote manage changepassword`: the operator at the server sets a user's password.
    It counts as a reset (sessions and tokens end, the user is told), and is one-time
    unless the operator says it is their own."""
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = one_time
    user.save()
    _after_reset(by=None, user=user)
    _password_set(user, password, old=None, by_admin=True)


@transaction.atomic
def change_password(*, by: User, password: str, old_password: str | None = None,
                    keep_session: str | None = None) -> None:
    """The user's own new password (the caller has checked the old one). Every other
    session of theirs and every API token ends; `keep_session` is the one in use."""
    validate_password(password, by)
    by.set_password(password)
    by.must_change_password = False
    by.save(update_fields=["password", "must_change_password"])
    revoked = _revoke_tokens(by)
    ended = sessions.end_all(by, keep=keep_session)
    log.record_by(by, "user.password_change", target_type="user", target_id=by.pk,
                  detail={"tokens_revoked": revoked, "sessions_ended": ended})
    _password_set(by, password, old=old_password, by_admin=False)


@transaction.atomic
def sign_out_everywhere(*, by: Any, user: User) -> tuple[int, int]:
    """An admin ends every session of a user and revokes their API tokens (a lost laptop)."""
    revoked = _revoke_tokens(user)
    ended = sessions.end_all(user, keep=None)
    if by is None or by.pk != user.pk:
        _notify(user, AccountNotice.Kind.SIGNED_OUT, by)
    log.record_by(by, "user.sign_out_everywhere", target_type="user", target_id=user.pk,
                  detail={"tokens_revoked": revoked, "sessions_ended": ended})
    return ended, revoked


def show_notices(user: User) -> list[AccountNotice]:
    """The notices the user has not seen yet, marked seen now."""
    notices = list(user.notices.filter(seen_at__isnull=True).order_by("at"))
    if notices:
        AccountNotice.objects.filter(pk__in=[n.pk for n in notices]).update(
            seen_at=timezone.now())
    return notices


# --- API tokens -----------------------------------------------------------------------------


@transaction.atomic
def issue_token(*, by: User, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("give the token a name of 1–100 characters")
    token, secret = ApiToken.issue(user=by, name=name, read_only=read_only)
    log.record_by(by, "api_token.create", target_type="api_token", target_id=token.pk,
                  detail={"read_only": read_only, "expires_at": token.expires_at.isoformat()})
    return token, secret


@transaction.atomic
def revoke_token(*, by: User, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    log.record_by(by, "api_token.revoke", target_type="api_token", target_id=token.pk)


# --- signed-in sessions -----------------------------------------------------------------------


@transaction.atomic
def end_session(*, by: User, record: SignedInSession) -> None:
    record_id = record.pk
    sessions.end([record])
    log.record_by(by, "session.end", target_type="session", target_id=record_id)


@transaction.atomic
def end_other_sessions(*, by: User, keep: str | None) -> int:
    ended = sessions.end_all(by, keep=keep)
    log.record_by(by, "session.end_others", target_type="user", target_id=by.pk,
                  detail={"sessions_ended": ended})
    return ended


# --- two-factor sign-in -----------------------------------------------------------------------


@transaction.atomic
def start_totp(*, by: User) -> tuple[TotpDevice, str]:
    """An unconfirmed authenticator for `by` (the same one again if the page is reloaded)."""
    device = TotpDevice.objects.select_for_update().filter(user_id=by.pk).first()
    if device is not None and device.confirmed_at is not None:
        raise ValidationError("Two-factor sign-in is already set up.")
    if device is None:
        secret = mfa.new_secret()
        device = TotpDevice.objects.create(user=by, secret_sealed=mfa.seal_secret(by.pk, secret))
        return device, secret
    return device, mfa.open_secret(device)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    codes = mfa.new_recovery_codes()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=mfa.hash_recovery_code(code)) for code in codes]
    )
    return codes


@transaction.atomic
def confirm_totp(*, by: User, code: str) -> list[str]:
    """The user typed a code from the app: enrolment is done. Returns the recovery codes,
    shown once."""
    device = TotpDevice.objects.select_for_update().filter(
        user_id=by.pk, confirmed_at__isnull=True).first()
    if device is None:
        raise ValidationError("Start the set-up again: there is no authenticator waiting.")
    if not mfa.use_totp(device, code):
        raise ValidationError({"code": "That code does not match. Check the app shows "
                                       "“Psynote” and type the six digits it shows now."})
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    codes = _new_recovery_codes(by)
    log.record_by(by, "mfa.enrol", target_type="user", target_id=by.pk,
                  detail={"method": "totp", "recovery_codes": len(codes)})
    return codes


@transaction.atomic
def renew_recovery_codes(*, by: User) -> list[str]:
    if not mfa.is_enrolled(by):
        raise ValidationError("Set up two-factor sign-in first.")
    codes = _new_recovery_codes(by)
    log.record_by(by, "mfa.recovery_codes", target_type="user", target_id=by.pk,
                  detail={"recovery_codes": len(codes)})
    return codes


@transaction.atomic
def disable_totp(*, by: User) -> None:
    if mfa.required_for(by):
        raise ValidationError("Your practice requires two-factor sign-in for your role: it "
                              "cannot be turned off.")
    TotpDevice.objects.filter(user_id=by.pk).delete()
    RecoveryCode.objects.filter(user_id=by.pk).delete()
    log.record_by(by, "mfa.disable", target_type="user", target_id=by.pk)


@transaction.atomic
def reset_mfa(*, by: Any, user: User) -> None:
    """An admin removes a user's authenticator (lost phone and lost recovery codes). The
    user's sessions and tokens end, the user is told, and the log flags it."""
    if by is not None and by.pk == user.pk:
        raise ValidationError("Turn off your own two-factor sign-in on your account page.")
    TotpDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    revoked = _revoke_tokens(user)
    ended = sessions.end_all(user)
    _notify(user, AccountNotice.Kind.MFA_RESET, by)
    log.record_by(by, "user.mfa_reset", practice_id=user.practice_id, target_type="user",
                  target_id=user.pk,
                  detail={"username": user.username, "tokens_revoked": revoked,
                          "sessions_ended": ended})


@transaction.atomic
def set_mfa_policy(*, by: User, practice: Practice, roles: Iterable[str]) -> None:
    """Which roles of the practice must sign in with two factors (admins and privacy
    officers always do)."""
    chosen = sorted(set(roles) - set(ALWAYS_MFA_ROLES))
    unknown = set(chosen) - set(Role.values)
    if unknown:
        raise ValidationError(f"unknown roles: {', '.join(sorted(unknown))}")
    practice.mfa_required_roles = chosen
    practice.save(update_fields=["mfa_required_roles"])
    log.record_by(by, "practice.mfa_policy", target_type="practice", target_id=practice.pk,
                  detail={"roles": sorted([*chosen, *ALWAYS_MFA_ROLES])})


@transaction.atomic
def set_practice_details(*, by: User, practice: Practice, name: str, npi: str,
                         address: str) -> None:
    """The practice's name, NPI and address, as exports identify it to other providers."""
    practice.name, practice.npi, practice.address = name.strip(), npi.strip(), address.strip()
    practice.full_clean()
    practice.save(update_fields=["name", "npi", "address"])
    log.record_by(by, "practice.details", target_type="practice", target_id=practice.pk)
