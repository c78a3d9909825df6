"""The operator's writes: a new practice and its first admin (ADR 0017).

A practice's own chain begins with `practice.create` and holds its admin's `user.create`;
the installation's chain (audit.log.INSTALLATION_CHAIN) records that the operator did it.
Neither event carries anything but names of the practice and the account.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from psynote.accounts import actions as account_actions
from psynote.accounts.models import Practice, Role, User
from psynote.audit import log

NAME_MAX = Practice._meta.get_field("name").max_length


@dataclass
class NewPractice:
    practice: Practice
    admin: User | None
    # The admin's one-time password, to hand over once; they choose their own at sign-in.
    password: str


def one_time_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~90 bits


def check_practice_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "A practice needs a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"A practice name is at most {NAME_MAX} characters."})
    if Practice.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"A practice named “{name}” exists already: choose "
                                       "another name."})
    return name


def _check_admin(username: str, email: str) -> None:
    if not username.strip():
        raise ValidationError({"admin_username": "The practice's first admin needs a "
                                                 "username."})
    if User.objects.filter(username__iexact=username.strip()).exists():
        raise ValidationError({"admin_username": f"The username “{username.strip()}” is "
                                                 "taken: choose another."})
    if not email.strip():
        raise ValidationError({"admin_email": "The practice's first admin needs an email "
                                              "address."})


@transaction.atomic
def create_practice(*, by: Any, name: str, admin_username: str = "", admin_email: str = "",
                    admin_first_name: str = "", admin_last_name: str = "",
                    with_admin: bool = True) -> NewPractice:
    """A new practice, with its first admin unless `with_admin` is False (`psynote init`
    makes the first practice alone; `createuser` adds its users). `by` is the operator,
    or None for the person at the server. Nothing is written when anything is refused."""
    name = check_practice_name(name)
    if with_admin:
        _check_admin(admin_username, admin_email)
    practice = Practice.objects.create(name=name)
    log.record(practice_id=practice.pk, actor=by, action="practice.create",
               target_type="practice", target_id=practice.pk, detail={"name": name})
    admin, password = None, ""
    if with_admin:
        password = one_time_password()
        admin = account_actions.create_user(
            by=by, practice=practice, username=admin_username.strip(), password=password,
            one_time=True, role=Role.ADMIN, email=admin_email.strip(),
            first_name=admin_first_name.strip(), last_name=admin_last_name.strip())
    log.record(practice_id=log.INSTALLATION_CHAIN, actor=by,
               action="installation.practice_create", target_type="practice",
               target_id=practice.pk,
               detail={"name": name, "admin_user_id": admin.pk if admin else None})
    return NewPractice(practice=practice, admin=admin, password=password)
