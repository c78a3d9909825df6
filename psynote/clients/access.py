"""Who may see which client, and how much. Every view and API route fetches clients here.

A clinician sees the clients on whose care team they are; a supervisor also reads the
clinical record of their supervisees' clients. Admins and front desk see demographics of
every client in their practice (front desk also the schedule), never clinical content.
A privacy officer reads the audit log, not charts. Anything else is a 404, audited.
"""

from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from psynote.accounts.models import CLINICAL_ROLES, Role, User
from psynote.audit import log
from psynote.clients.models import SHREDDED_KEY, Client, Diagnosis


class Need(StrEnum):
    DEMOGRAPHICS = "demographics"    # name, contact, care team
    EDIT_DEMOGRAPHICS = "edit_demographics"
    SCHEDULE = "schedule"            # sessions: date, time, modality, attendance
    CLINICAL = "clinical"            # diagnoses, progress notes, timeline
    WRITE_CLINICAL = "write_clinical"
    MANAGE_CARE_TEAM = "manage_care_team"


_PRACTICE_WIDE = {
    Need.DEMOGRAPHICS: {Role.ADMIN, Role.FRONT_DESK},
    Need.EDIT_DEMOGRAPHICS: {Role.ADMIN, Role.FRONT_DESK},
    Need.SCHEDULE: {Role.FRONT_DESK},
    Need.MANAGE_CARE_TEAM: {Role.ADMIN},
}
# Needs met by being on the client's care team (as clinician or supervisor).
_CARE_TEAM = {Need.DEMOGRAPHICS, Need.EDIT_DEMOGRAPHICS, Need.SCHEDULE, Need.CLINICAL,
              Need.WRITE_CLINICAL}
# Needs a supervisor meets for their supervisees' clients: reading, not writing.
_SUPERVISION = {Need.DEMOGRAPHICS, Need.SCHEDULE, Need.CLINICAL}
# Clinicians who add a client become its primary clinician; admin and front desk name one.
_CREATES_CLIENTS = {Role.ADMIN, Role.FRONT_DESK, Role.CLINICIAN, Role.SUPERVISOR}
_NAMES_PRIMARY = {Role.ADMIN, Role.FRONT_DESK}


def clients_for(user: Any, need: Need = Need.DEMOGRAPHICS) -> QuerySet[Client]:
    if not user.is_authenticated or not user.is_active or user.practice_id is None:
        return Client.objects.none()
    in_practice = Client.objects.filter(practice_id=user.practice_id)
    if user.role in _PRACTICE_WIDE.get(need, set()):
        return in_practice
    if user.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        return Client.objects.none()
    visible = Q(care_team__user=user) if need in _CARE_TEAM else Q(pk__in=[])
    if user.role == Role.SUPERVISOR and need in _SUPERVISION:
        visible |= Q(care_team__user__supervisor=user)
    clients = in_practice.filter(visible).distinct()
    if need in (Need.CLINICAL, Need.WRITE_CLINICAL):
        # A record destroyed under retention has no key left: nothing clinical to open.
        clients = clients.exclude(wrapped_key=SHREDDED_KEY)
    return clients


def can(user: Any, client: Client, need: Need) -> bool:
    return clients_for(user, need).filter(pk=client.pk).exists()


def deny(user: Any, target_type: str, target_id: object, need: str) -> Http404:
    """Record the refusal and return the 404 to raise: no hint whether the thing exists."""
    log.record_by(user, "access.denied", target_type=target_type, target_id=target_id,
                  detail={"need": str(need)})
    return Http404("Not found")


def get_client_for(user: Any, client_id: object, need: Need = Need.DEMOGRAPHICS) -> Client:
    try:
        return clients_for(user, need).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, need) from None


def get_diagnosis_for(user: Any, diagnosis_id: object,
                      need: Need = Need.WRITE_CLINICAL) -> Diagnosis:
    """A diagnosis on the chart of a client the user meets `need` for."""
    try:
        return Diagnosis.objects.select_related("client").get(
            pk=diagnosis_id, client__in=clients_for(user, need))
    except (Diagnosis.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "diagnosis", diagnosis_id, need) from None


def may_add_clients(user: Any) -> bool:
    return user.practice_id is not None and user.role in _CREATES_CLIENTS


def names_primary_clinician(user: Any) -> bool:
    """Whether a new client's primary clinician is chosen (else it is the user who adds it)."""
    return user.role in _NAMES_PRIMARY


def active_clinicians(practice_id: int) -> QuerySet[User]:
    """Who can be a primary clinician or join a care team: the practice's active clinicians
    and supervisors, by name."""
    return User.objects.filter(
        practice_id=practice_id, role__in=CLINICAL_ROLES, is_active=True
    ).order_by("last_name", "first_name")
