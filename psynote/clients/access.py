"""Who may see which client, and how much. Every view and API route fetches clients here.

A clinician sees the clients on whose care team they are; a supervisor also reads the
clinical record of their supervisees' clients. Admins and front desk see demographics of
every client in their practice (front desk also the schedule), never clinical content.
A privacy officer reads the audit log, not charts. Anything else is a 404, audited.

Emergency access ("break the glass", docs/adr/0008-emergency-access.md): a clinician or
supervisor of the practice who is not on a client's care team may open that client's chart
for a limited time by giving a reason. An active grant meets the reading needs only
(demographics, schedule, clinical): never a write, never the care team, never the user's
own caseload listings, never a disclosure or export, and never psychotherapy notes (they
need WRITE_CLINICAL and their author). Who sees which grant, and its reason, is here too.
"""

from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from psynote.accounts.models import CLINICAL_ROLES, Role, User
from psynote.audit import log
from psynote.clients.models import (
    SHREDDED_KEY,
    CareTeamMember,
    Client,
    Diagnosis,
    EmergencyAccess,
)
from psynote.lib.request_memo import remembered
from psynote.supervision.access import supervisee_ids


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
# Needs an active emergency-access grant meets for its client: reading, nothing else.
_EMERGENCY = {Need.DEMOGRAPHICS, Need.SCHEDULE, Need.CLINICAL}
# Who may break the glass, decided in advance by role (45 CFR 170.315(d)(6)): the people
# who treat clients. Supervisors are licensed clinicians too and may be the one on call.
_BREAKS_GLASS = {Role.CLINICIAN, Role.SUPERVISOR}


def clients_for(user: Any, need: Need = Need.DEMOGRAPHICS, *,
                emergency: bool = True) -> QuerySet[Client]:
    """The clients whose `need` the user meets. `emergency=False` leaves out the clients
    the user reaches only through an emergency-access grant: for disclosures and exports,
    which a grant never opens, and for listings of the user's own work."""
    if not user.is_authenticated or not user.is_active or user.practice_id is None:
        return Client.objects.none()
    in_practice = Client.objects.filter(practice_id=user.practice_id)
    if user.role in _PRACTICE_WIDE.get(need, set()):
        return in_practice
    if user.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        return Client.objects.none()
    visible = Q(care_team__user=user) if need in _CARE_TEAM else Q(pk__in=[])
    if user.role == Role.SUPERVISOR and need in _SUPERVISION:
        visible |= Q(care_team__user__in=supervisee_ids(user))
    if emergency and need in _EMERGENCY:
        visible |= Q(pk__in=list(granted_clients(user)))
    clients = in_practice.filter(visible).distinct()
    if need in (Need.CLINICAL, Need.WRITE_CLINICAL):
        # A record destroyed under retention has no key left: nothing clinical to open.
        clients = clients.exclude(wrapped_key=SHREDDED_KEY)
    return clients


def can(user: Any, client: Client, need: Need, *, emergency: bool = True) -> bool:
    """Whether `client` is among `clients_for(user, need, emergency=emergency)`, decided for
    a client already loaded, with at most one small query per request: pages ask it for
    every note they open, and compiling the `clients_for` query cost more than running it.
    `test_can_agrees_with_clients_for` holds the two to the same answer."""
    if not user.is_authenticated or not user.is_active or user.practice_id is None:
        return False
    if client.practice_id != user.practice_id:
        return False
    if user.role in _PRACTICE_WIDE.get(need, set()):
        return True
    if user.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        return False
    if need in (Need.CLINICAL, Need.WRITE_CLINICAL) and client.wrapped_key == SHREDDED_KEY:
        return False
    if emergency and need in _EMERGENCY and client.pk in granted_clients(user):
        return True
    team = {user.pk} if need in _CARE_TEAM else set()
    if user.role == Role.SUPERVISOR and need in _SUPERVISION:
        team |= supervisee_ids(user)
    return bool(team & care_team_ids(client))


def care_team_ids(client: Client) -> frozenset[int]:
    """The users on the client's care team, read once per request (a note page asks
    whether the user reads the record and whether they write it)."""
    return remembered(("care_team", client.pk), lambda: frozenset(
        CareTeamMember.objects.filter(client_id=client.pk).values_list("user_id", flat=True)))


def granted_clients(user: Any) -> dict[Any, int]:
    """The clients of the user's open emergency grants, each with its grant's id; read once
    per request (the access checks, every audit event and the banner ask it)."""
    if not may_break_glass(user):
        return {}
    return remembered(("granted_clients", user.pk), lambda: dict(
        EmergencyAccess.objects.active().filter(user=user).values_list("client_id", "pk")))


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


# --- emergency access ------------------------------------------------------------------


def may_break_glass(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.practice_id is not None
        and user.role in _BREAKS_GLASS
    )


def emergency_candidates(user: Any) -> QuerySet[Client]:
    """The clients whose chart the user could open in an emergency: every client of their
    practice whose record still exists. The search over them shows demographics only."""
    if not may_break_glass(user):
        return Client.objects.none()
    return Client.objects.filter(practice_id=user.practice_id).exclude(
        wrapped_key=SHREDDED_KEY)


def get_client_for_emergency(user: Any, client_id: object) -> Client:
    try:
        return emergency_candidates(user).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, "emergency_access") from None


def reads_without_emergency(user: Any, client: Client) -> bool:
    """Whether the user reads the chart already (care team, supervision): no glass to break."""
    return can(user, client, Need.CLINICAL, emergency=False)


def active_emergency_access(user: Any, client: Client) -> EmergencyAccess | None:
    if not may_break_glass(user):
        return None
    return EmergencyAccess.objects.active().filter(user=user, client=client).first()


def emergency_accesses_for(user: Any) -> QuerySet[EmergencyAccess]:
    """The grants a user is shown: the privacy officer every grant of the practice; a
    clinician or supervisor their own and those on clients whose care team they are on
    (the alert to the client's clinicians). Nobody else any."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return EmergencyAccess.objects.none()
    grants = EmergencyAccess.objects.filter(client__practice_id=user.practice_id)
    if user.role == Role.PRIVACY and user.practice_id is not None:
        return grants
    if may_break_glass(user):
        return grants.filter(Q(user=user) | Q(client__care_team__user=user)).distinct()
    return EmergencyAccess.objects.none()


def get_emergency_access_for(user: Any, grant_id: object) -> EmergencyAccess:
    try:
        return emergency_accesses_for(user).select_related("client", "user", "reviewed_by").get(
            pk=grant_id)
    except (EmergencyAccess.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "emergency_access", grant_id, "emergency_access") from None


def get_own_emergency_access(user: Any, grant_id: object) -> EmergencyAccess:
    """A grant the user may end: only their own."""
    grant = get_emergency_access_for(user, grant_id)
    if grant.user_id != user.pk:
        raise deny(user, "emergency_access", grant_id, "own emergency_access")
    return grant


def get_emergency_access_to_review(user: Any, grant_id: object) -> EmergencyAccess:
    """A grant the user may review: the privacy officer's alone."""
    grant = get_emergency_access_for(user, grant_id)
    if user.role != Role.PRIVACY:
        raise deny(user, "emergency_access", grant_id, "review")
    return grant


def reviews_emergency_access(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.role == Role.PRIVACY and user.practice_id is not None)


def sees_emergency_reason(user: Any, grant: EmergencyAccess) -> bool:
    """The reason is for the privacy officer, the client's care team and the user who gave
    it; a colleague who is only shown the grant does not read it."""
    if reviews_emergency_access(user):
        return grant.client.practice_id == user.practice_id
    if grant.user_id == user.pk:
        return True
    return may_break_glass(user) and grant.client.care_team.filter(user=user).exists()


def emergency_alerts_for(user: Any) -> QuerySet[EmergencyAccess]:
    """The alert to a client's clinicians: grants someone else opened on a client whose
    care team the user is on."""
    if not may_break_glass(user):
        return EmergencyAccess.objects.none()
    on_team = Client.objects.filter(practice_id=user.practice_id, care_team__user=user)
    return EmergencyAccess.objects.filter(client__in=on_team).exclude(user=user)
