from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.accounts.models import ApiToken, Practice, Role, User
from psynote.audit import log

PROFILE_FIELDS = ("first_name", "last_name", "email", "role", "credentials", "licence_number",
                  "licence_state", "supervisor", "is_active")


def _apply(user: User, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(user, name, value)
    if user.role not in Role.values:
        raise ValidationError({"role": f"role must be one of {', '.join(Role.values)}"})
    supervisor = user.supervisor
    if supervisor is not None and (supervisor.pk == user.pk or supervisor.role != Role.SUPERVISOR
                                   or supervisor.practice_id != user.practice_id):
        raise ValidationError({"supervisor": "the supervisor must be another user of this "
                                             "practice with the supervisor role"})
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


@transaction.atomic
def create_user(*, by: Any, practice: Practice, username: str, password: str,
                **fields: Any) -> User:
    user = User(practice=practice, username=username)
    _apply(user, fields)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    log.record(practice_id=practice.pk, actor=by, action="user.create", target_type="user",
               target_id=user.pk, detail={"username": username, "role": user.role})
    return user


@transaction.atomic
def update_user(*, by: Any, user: User, password: str = "", **fields: Any) -> User:
    _refuse_self_lockout(by, user, fields)
    changed = _apply(user, fields)
    if password:
        validate_password(password, user)
        user.set_password(password)
        changed.append("password")
    user.save()
    log.record_by(by, "user.update", target_type="user", target_id=user.pk,
                  detail={"fields": changed})
    return user


@transaction.atomic
def change_password(*, by: User, password: str) -> None:
    """The user's own new password (the caller has checked the old one)."""
    validate_password(password, by)
    by.set_password(password)
    by.save(update_fields=["password"])
    log.record_by(by, "user.password_change", target_type="user", target_id=by.pk)


@transaction.atomic
def issue_token(*, by: User, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("give the token a name of 1–100 characters")
    token, secret = ApiToken.issue(user=by, name=name)
    log.record_by(by, "api_token.create", target_type="api_token", target_id=token.pk)
    return token, secret


@transaction.atomic
def revoke_token(*, by: User, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    log.record_by(by, "api_token.revoke", target_type="api_token", target_id=token.pk)
