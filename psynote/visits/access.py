"""Who may see, record and change which sessions. Pages and API routes fetch sessions here.

Clinicians record their own sessions (as attended, by default); front desk schedules them
for a clinician on the client's care team. A session is corrected by its own clinician or
by front desk, never by a colleague. Anything else is a 404, audited.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from psynote.accounts.models import CLINICAL_ROLES, User
from psynote.clients.access import Need, clients_for, deny
from psynote.clients.models import Client
from psynote.visits.models import Session


def sessions_for(user: Any, need: Need = Need.SCHEDULE):  # type: ignore[no-untyped-def]
    return Session.objects.filter(client__in=clients_for(user, need))


def get_session_for(user: Any, session_id: object, need: Need = Need.SCHEDULE) -> Session:
    try:
        return sessions_for(user, need).select_related("client", "clinician").get(pk=session_id)
    except (Session.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "session", session_id, need) from None


def recording_need(user: Any) -> Need:
    """What recording or changing a session needs of the client: clinicians write the
    clinical record, front desk only the schedule."""
    return Need.WRITE_CLINICAL if user.is_clinical else Need.SCHEDULE


def get_session_to_change(user: Any, session_id: object) -> Session:
    """A session the user may correct: front desk fixes the schedule, a clinician only
    their own sessions (a colleague's session is theirs to correct)."""
    session = get_session_for(user, session_id, recording_need(user))
    if user.is_clinical and session.clinician_id != user.pk:
        raise deny(user, "session", session_id, "own session")
    return session


def names_clinician(user: Any) -> bool:
    """Whether a new session's clinician is chosen (else it is the clinician recording it)."""
    return not user.is_clinical


def default_attendance(user: Any) -> str:
    """Clinicians record sessions they held; front desk books sessions to come."""
    return Session.Attendance.ATTENDED if user.is_clinical else Session.Attendance.SCHEDULED


def session_clinicians(client: Client) -> QuerySet[User]:
    """Who a session of this client can be with: the active clinicians and supervisors on
    its care team, by name."""
    return User.objects.filter(
        care_teams__client=client, role__in=CLINICAL_ROLES, is_active=True
    ).order_by("last_name", "first_name")
