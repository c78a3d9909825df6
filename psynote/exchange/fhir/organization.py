"""The practice as an Organization (US Core Organization), the custodian and service
provider every client resource points at.

The Organization carries the practice's own identifier (a practice-local system) and, when
an admin has set them on the practice-details page, its NPI (system
http://hl7.org/fhir/sid/us-npi) and address; see ADR 0006.
"""

from typing import Any

from psynote.accounts.models import Practice
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import ref
from psynote.exchange.fhir.validation import validated

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def organization_ref(practice_id: int) -> dict[str, str]:
    return ref("Organization", practice_id)


def organization(practice: Practice) -> dict[str, Any]:
    identifiers = [{"system": codes.local_system(practice.pk, "practice"),
                    "value": str(practice.pk)}]
    if practice.npi:
        identifiers.insert(0, {"system": NPI_SYSTEM, "value": practice.npi})
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(practice.pk),
        "identifier": identifiers,
        "active": True,
        "type": [{"coding": [{"system": codes.ORGANIZATION_TYPE, "code": "prov",
                              "display": "Healthcare Provider"}]}],
        "name": practice.name,
    }
    if practice.address:
        resource["address"] = [{"text": practice.address}]
    return validated(resource)
