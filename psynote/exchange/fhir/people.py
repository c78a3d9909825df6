"""The client as a Patient and the clinicians their record points at as Practitioner and
PractitionerRole (HL7 FHIR R4, US Core shaped)."""

from typing import Any

from psynote.accounts.models import User
from psynote.clients.models import Client
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import ref
from psynote.exchange.fhir.validation import validated


def practitioner(user: User) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": user.is_active,
        "name": [{"text": user.signature_name, "family": user.last_name or user.username,
                  **({"given": [user.first_name]} if user.first_name else {})}],
    }
    if user.licence_number:
        resource["identifier"] = [{
            "system": codes.licence_system(user.practice_id or 0, user.licence_state),
            "value": user.licence_number}]
    if user.credentials:
        qualification: dict[str, Any] = {"code": {"text": user.credentials}}
        if user.licence_number:
            qualification["identifier"] = resource["identifier"]
        resource["qualification"] = [qualification]
    return validated(resource)


def practitioner_role(user: User) -> dict[str, Any]:
    return validated({
        "resourceType": "PractitionerRole",
        "id": f"role-{user.pk}",
        "active": user.is_active,
        "practitioner": ref("Practitioner", user.pk),
        "code": [{"text": user.get_role_display()}],
        **({"specialty": [{"text": user.credentials}]} if user.credentials else {}),
    })


def patient(client: Client, *, demographics: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [{"system": codes.local_system(client.practice_id, "client"),
                        "value": str(client.pk)}],
        "active": client.status == Client.Status.ACTIVE,
    }
    if demographics:
        names: list[dict[str, Any]] = [{"use": "official", "family": client.last_name,
                                        "given": [client.first_name]}]
        if client.preferred_name:
            names.append({"use": "usual", "family": client.last_name,
                          "given": [client.preferred_name]})
        resource["name"] = names
        resource["birthDate"] = client.date_of_birth.isoformat()
        # Patient.gender is administrative gender; the only recorded value that maps to
        # it is sex assigned at birth (intersex -> other). Gender identity stays in text.
        gender = {"female": "female", "male": "male", "intersex": "other",
                  "unknown": "unknown"}.get(client.sex_assigned_at_birth)
        if gender:
            resource["gender"] = gender
        telecom = []
        if client.phone:
            telecom.append({"system": "phone", "value": client.phone})
        if client.email:
            telecom.append({"system": "email", "value": client.email})
        if telecom:
            resource["telecom"] = telecom
        if client.address:
            resource["address"] = [{"text": client.address}]
    return validated(resource)

