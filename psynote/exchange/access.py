"""Who may see and make authorizations and disclosures.

Clinicians on the client's care team create authorizations and disclose (Need
WRITE_CLINICAL); a supervisor reads their supervisees' clients' authorizations and
accounting but does not disclose. The privacy officer reads every client's
authorizations, disclosure log and accounting in their practice (the privacy officer
reads the audit log and the disclosure log; ADR 0006), but never the record itself and
never discloses. Admin and front desk see none of it: an authorization says who a client
is being treated for what, and by whom. Anything else is a 404, audited.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from psynote.accounts.models import Role
from psynote.clients.access import Need, clients_for, deny
from psynote.clients.models import Client
from psynote.exchange.models import Authorization, Disclosure


def _readable_clients(user: Any) -> QuerySet[Client]:
    if getattr(user, "role", None) == Role.PRIVACY and user.is_active and user.practice_id:
        return Client.objects.filter(practice_id=user.practice_id)
    # An emergency-access grant opens the chart to read, never its disclosures (ADR 0008).
    return clients_for(user, Need.CLINICAL, emergency=False)


def exchange_clients_for(user: Any, *, write: bool = False) -> QuerySet[Client]:
    return clients_for(user, Need.WRITE_CLINICAL) if write else _readable_clients(user)


def get_client_for_exchange(user: Any, client_id: object, *, write: bool = False) -> Client:
    try:
        return exchange_clients_for(user, write=write).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, "disclose" if write else "disclosures") from None


def get_authorization_for(
    user: Any, authorization_id: object, *, write: bool = False
) -> Authorization:
    try:
        return Authorization.objects.select_related("client", "created_by", "revoked_by").get(
            pk=authorization_id, client__in=exchange_clients_for(user, write=write)
        )
    except (Authorization.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(
            user, "authorization", authorization_id, "disclose" if write else "disclosures"
        ) from None


def practice_disclosures_for(user: Any) -> QuerySet[Disclosure]:
    """The practice-wide disclosure log: the privacy officer's alone (else a 404)."""
    if getattr(user, "role", None) != Role.PRIVACY or not user.practice_id:
        raise deny(user, "disclosure_log", user.practice_id or "", "privacy")
    return Disclosure.objects.filter(client__practice_id=user.practice_id).select_related(
        "client", "by", "authorization"
    )
