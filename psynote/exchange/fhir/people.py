"""The client as a Patient and the clinicians their record points at as Practitioner and
PractitionerRole (HL7 FHIR R4, US Core shaped)."""

from typing import Any

from psynote.accounts.models import User
from psynote.clients.models import Client
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import ref
from psynote.exchange.fhir.organization import organization_ref
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
        **({"organization": organization_ref(user.practice_id)} if user.practice_id else {}),
        "code": [{"text": user.get_role_display()}],
        **({"specialty": [{"text": user.credentials}]} if user.credentials else {}),
    })


# US Core 6.1 birth sex (F, M, UNK: intersex has no code of its own there, so UNK with
# the recorded value left to Patient.gender "other").
_BIRTH_SEX = {"female": "F", "male": "M"}


def _identity_extensions(client: Client) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = [
        {"url": codes.US_CORE_BIRTHSEX,
         "valueCode": _BIRTH_SEX.get(client.sex_assigned_at_birth, "UNK")}]
    if client.gender_identity:
        extensions.append({"url": codes.US_CORE_GENDER_IDENTITY,
                           "valueCodeableConcept": {"text": client.gender_identity}})
    if client.pronouns:
        extensions.append({"url": codes.INDIVIDUAL_PRONOUNS, "extension": [
            {"url": "value", "valueCodeableConcept": {"text": client.pronouns}}]})
    return extensions


def patient(client: Client, *, demographics: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [{"system": codes.local_system(client.practice_id, "client"),
                        "value": str(client.pk)}],
        "active": client.status == Client.Status.ACTIVE,
        "managingOrganization": organization_ref(client.practice_id),
    }
    if demographics:
        names: list[dict[str, Any]] = [{"use": "official", "family": client.last_name,
                                        "given": [client.first_name]}]
        if client.preferred_name:
            names.append({"use": "usual", "family": client.last_name,
                          "given": [client.preferred_name]})
        resource["name"] = names
        resource["birthDate"] = client.date_of_birth.isoformat()
        # Patient.gender is administrative gender, required by US Core: the only recorded
        # value that maps to it is sex assigned at birth (intersex -> other); blank is
        # "unknown", said rather than dropped. Sex, gender identity and pronouns go as
        # USCDI v3 extensions (ADR 0006).
        resource["gender"] = {"female": "female", "male": "male", "intersex": "other"}.get(
            client.sex_assigned_at_birth, "unknown")
        resource["extension"] = _identity_extensions(client)
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

