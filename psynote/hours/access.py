"""Who may see and do what in the hour logs.

The supervision relation is read through `supervisors_of`, `supervises` and
`supervisees_of` only, and nowhere else in this app; they ask `psynote.supervision`, where a
supervisee may have several supervisors (ADR 0013).

- A supervisee (any clinician or supervisor) reads their own log and edits their own
  unconfirmed entries.
- A supervisor reads their supervisees' logs, confirms their entries and signs reports.
- The practice admin sets licence types, their categories and anyone's targets, and reads
  no entry.
- Front desk and privacy officer: nothing (404).
Everything else answers 404, as for a thing that does not exist.
"""

from typing import Any

from django.http import Http404

from psynote.accounts.models import Role, User
from psynote.hours.models import Entry, LicenceType, Report
from psynote.supervision import access as supervision

# --- the supervision relation (psynote.supervision: several supervisors each) ---------


def supervisors_of(supervisee: Any) -> list[User]:
    """The supervisee's supervisors, in the same practice and active."""
    return list(supervision.supervisors_of(supervisee).filter(is_active=True)
                .order_by("last_name", "first_name", "username"))


def supervises(supervisor: Any, supervisee: Any) -> bool:
    return supervisor.pk is not None and supervisor.is_active and (
        supervision.is_supervisor_of(supervisor, supervisee))


def supervisees_of(supervisor: Any) -> list[User]:
    return list(supervision.supervisees_of(supervisor).filter(is_active=True)
                .order_by("last_name", "first_name", "username"))


# --- roles -----------------------------------------------------------------------------


def keeps_hours(user: Any) -> bool:
    """May keep an hour log of their own (and see the hours pages)."""
    return user.is_authenticated and user.is_active and user.role in (
        Role.CLINICIAN, Role.SUPERVISOR)


def is_admin(user: Any) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def require_keeper(user: Any) -> None:
    if not keeps_hours(user):
        raise Http404


def require_admin(user: Any) -> None:
    if not is_admin(user):
        raise Http404


# --- resources -------------------------------------------------------------------------


def get_supervisee_for(user: Any, supervisee_id: object) -> User:
    """A supervisee of `user`, or 404."""
    require_keeper(user)
    supervisee = User.objects.filter(pk=supervisee_id, practice_id=user.practice_id).first()
    if supervisee is None or not supervises(user, supervisee):
        raise Http404
    return supervisee


def get_target_owner_for(user: Any, user_id: object) -> User:
    """Whose targets `user` may set: their own, or (the admin) any clinician's."""
    owner = User.objects.filter(pk=user_id, practice_id=user.practice_id).first()
    if owner is None or not keeps_hours(owner):
        raise Http404
    if owner.pk == user.pk or is_admin(user):
        return owner
    raise Http404


def entries_for(user: Any) -> Any:
    """The entries `user` reads: their own and their supervisees'."""
    require_keeper(user)
    ids = [user.pk, *(s.pk for s in supervisees_of(user))]
    return Entry.objects.filter(supervisee_id__in=ids).select_related(
        "supervisee", "supervisor", "category", "confirmed_by")


def get_entry_for(user: Any, entry_id: object, *, write: bool = False,
                  confirm: bool = False) -> Entry:
    """An entry `user` may read; `write`: their own and unconfirmed is checked by the action
    (a confirmed entry is shown, and refused with a sentence); `confirm`: they supervise it."""
    entry = entries_for(user).filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    if write and entry.supervisee_id != user.pk:
        raise Http404
    if confirm and not supervises(user, entry.supervisee):
        raise Http404
    return entry


def get_report_for(user: Any, report_id: object) -> Report:
    """A report reads for its supervisee, its signer and the supervisee's supervisors."""
    require_keeper(user)
    report = Report.objects.select_related("supervisee").filter(
        pk=report_id, supervisee__practice_id=user.practice_id).first()
    if report is None:
        raise Http404
    if user.pk in (report.supervisee_id, report.signed_by_id) or supervises(
            user, report.supervisee):
        return report
    raise Http404


def get_licence_type_for(user: Any, licence_type_id: object) -> LicenceType:
    require_admin(user)
    found = LicenceType.objects.filter(pk=licence_type_id, practice_id=user.practice_id).first()
    if found is None:
        raise Http404
    return found
