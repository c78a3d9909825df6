"""Who handles a client's rights requests and the record's life.

Rights requests (access, amendment): the clinicians on the client's care team (and a
supervisor, reading) and the practice's privacy officer, as for the disclosure log
(exchange.access). Recording a new request is for the care team's clinicians and the
privacy officer (who takes requests at the front office); every later step of an amendment
(extension, acceptance, denial, the client's disagreement, a rebuttal) and producing the
record are the care team's clinicians' alone. A supervisor only reads.
Legal holds and destructions: the privacy officer and the practice admin ("record
keepers"); they see names, dates and counts, never clinical content.
Anything else is a 404, audited.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from psynote.accounts.models import Role
from psynote.clients.access import deny
from psynote.clients.models import Client
from psynote.exchange.access import exchange_clients_for
from psynote.records.models import AccessRequest, AmendmentRequest, Destruction, LegalHold

KEEPERS = (Role.PRIVACY, Role.ADMIN)


def rights_clients_for(user: Any, *, write: bool = False) -> QuerySet[Client]:
    return exchange_clients_for(user, write=write)


def get_client_for_rights(user: Any, client_id: object, *, write: bool = False) -> Client:
    try:
        return rights_clients_for(user, write=write).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, "rights") from None


def sees_request_texts(user: Any, client: Client, *, clinical: bool) -> bool:
    """Whether the rights page shows the words of the client's amendment requests (the
    request, the written denial, the client's statement of disagreement, the rebuttal).

    The care team's clinicians, as before. The privacy officer too: these words are not
    the clinical record but the correspondence between the client and the practice about
    it, written by or to the client, and the privacy officer is the person HIPAA names to
    receive and process such requests (45 CFR 164.526(f), 164.530(a)(1)); a denial must
    tell the client how to complain to that person (164.526(d)(1)(iv)), and a statement of
    disagreement and its rebuttal travel with later disclosures (164.526(d)(4)-(5)). They
    cannot judge a request they cannot read. The notes themselves, and the text of an
    accepted amendment (an addendum under a note), stay clinicians' only. A destroyed
    record shows no words to anybody."""
    if client.is_destroyed:
        return False
    return clinical or getattr(user, "role", None) == Role.PRIVACY


def requesting_clients_for(user: Any) -> QuerySet[Client]:
    """Clients for whom this user may record a new access or amendment request."""
    if getattr(user, "role", None) == Role.PRIVACY:
        return rights_clients_for(user)
    return rights_clients_for(user, write=True)


def get_client_to_record_request(user: Any, client_id: object) -> Client:
    try:
        return requesting_clients_for(user).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, "record_request") from None


def get_access_request_for(user: Any, request_id: object, *, write: bool = False) -> AccessRequest:
    try:
        return AccessRequest.objects.select_related("client").get(
            pk=request_id, client__in=rights_clients_for(user, write=write)
        )
    except (AccessRequest.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "access_request", request_id, "rights") from None


def get_amendment_for(
    user: Any, amendment_id: object, *, write: bool = False
) -> AmendmentRequest:
    try:
        return AmendmentRequest.objects.select_related("client", "note").get(
            pk=amendment_id, client__in=rights_clients_for(user, write=write)
        )
    except (AmendmentRequest.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "amendment_request", amendment_id, "rights") from None


def is_keeper(user: Any) -> bool:
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "role", None) in KEEPERS
        and getattr(user, "practice_id", None)
    )


def keeper_clients_for(user: Any) -> QuerySet[Client]:
    if not is_keeper(user):
        return Client.objects.none()
    return Client.objects.filter(practice_id=user.practice_id)


def require_keeper(user: Any) -> None:
    if not is_keeper(user):
        raise deny(user, "retention", getattr(user, "practice_id", "") or "", "keeper")


def get_client_for_keeper(user: Any, client_id: object) -> Client:
    try:
        return keeper_clients_for(user).get(pk=client_id)
    except (Client.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "client", client_id, "keeper") from None


def get_hold_for(user: Any, hold_id: object) -> LegalHold:
    try:
        return LegalHold.objects.select_related("client").get(
            pk=hold_id, client__in=keeper_clients_for(user)
        )
    except (LegalHold.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "legal_hold", hold_id, "keeper") from None


def get_destruction_for(user: Any, destruction_id: object) -> Destruction:
    try:
        return Destruction.objects.select_related("client", "requested_by").get(
            pk=destruction_id, client__in=keeper_clients_for(user)
        )
    except (Destruction.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "destruction", destruction_id, "keeper") from None
