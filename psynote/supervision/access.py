"""Who supervises whom. `clients.access` reads the supervision relation from here (a
supervisor reads their supervisees' clients), so this module imports no clinical app."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from psynote.accounts.models import Role, User
from psynote.audit import log
from psynote.lib.request_memo import remembered
from psynote.supervision.models import STRICTNESS, Mode, Supervision


def supervisees_of(user: Any) -> QuerySet[User]:
    """The users `user` supervises (empty for anyone who is not a supervisor)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.SUPERVISOR:
        return User.objects.none()
    return User.objects.filter(supervisions_received__supervisor=user,
                               practice_id=user.practice_id)


def supervisee_ids(user: Any) -> frozenset[int]:
    """`supervisees_of` as ids, read once per request: the access checks of a page ask it
    several times."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.SUPERVISOR:
        return frozenset()
    return remembered(("supervisee_ids", user.pk), lambda: frozenset(
        supervisees_of(user).values_list("pk", flat=True)))


def supervisors_of(user: Any) -> QuerySet[User]:
    return User.objects.filter(supervisions_given__supervisee=user,
                               role=Role.SUPERVISOR, practice_id=user.practice_id)


def is_supervisor_of(supervisor: Any, supervisee: Any) -> bool:
    if supervisor is None or supervisee is None:
        return False
    return getattr(supervisee, "pk", supervisee) in supervisee_ids(supervisor)


def mode_for(supervisee: Any) -> str | None:
    """The strictest mode any of the supervisee's supervisors set, or None if unsupervised."""
    modes = remembered(("supervision_modes", supervisee.pk), lambda: set(
        Supervision.objects.filter(
            supervisee=supervisee, supervisor__role=Role.SUPERVISOR,
            supervisor__practice_id=supervisee.practice_id).values_list("mode", flat=True)))
    for mode in reversed(STRICTNESS):
        if mode in modes:
            return Mode(mode)
    return None


def manages_supervision(user: Any, supervisee: Any) -> bool:
    """The practice admin sets anyone's supervision; a supervisor the mode of their own
    supervisees."""
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return False
    if supervisee.practice_id != user.practice_id:
        return False
    return user.role == Role.ADMIN or is_supervisor_of(user, supervisee)


def get_supervisee_for(user: Any, user_id: object) -> User:
    """A user whose supervision `user` may see and set; else a 404, audited."""
    try:
        supervisee = User.objects.get(pk=user_id, practice_id=user.practice_id)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError):
        supervisee = None
    if supervisee is None or not manages_supervision(user, supervisee):
        log.record_by(user, "access.denied", target_type="user", target_id=user_id,
                      detail={"need": "supervision"})
        raise Http404("Not found")
    return supervisee
