from typing import Any

from django.core.exceptions import ValidationError

from psynote.clients.access import Need, clients_for, deny
from psynote.visits.models import Session


def sessions_for(user: Any, need: Need = Need.SCHEDULE):  # type: ignore[no-untyped-def]
    return Session.objects.filter(client__in=clients_for(user, need))


def get_session_for(user: Any, session_id: object, need: Need = Need.SCHEDULE) -> Session:
    try:
        return sessions_for(user, need).select_related("client", "clinician").get(pk=session_id)
    except (Session.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "session", session_id, need) from None
