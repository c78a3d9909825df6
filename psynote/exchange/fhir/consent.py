"""A client's authorizations (releases of information) as Consent resources
(HL7 FHIR R4 Consent, https://hl7.org/fhir/R4/consent.html)."""

from typing import Any

from django.utils import timezone

from psynote.clients.models import Client
from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.organization import organization_ref
from psynote.exchange.fhir.validation import validated

# What each record kind of an authorization covers, as FHIR resource types
# (Consent.provision.class, extensible binding to the resource types).
SCOPE_RESOURCES = {
    "demographics": ("Patient",),
    "diagnoses": ("Condition",),
    "progress_notes": ("Encounter", "DocumentReference"),
    "plans": ("CarePlan", "Goal"),
    "measures": ("QuestionnaireResponse", "Observation"),
}


def authorizations(client: Client) -> list[Any]:
    """The client's authorizations that may travel with the record.

    An authorization naming psychotherapy notes is left out: its existence says that
    psychotherapy notes exist, and they never enter FHIR resources (45 CFR 164.501,
    164.508(a)(2)). Fetched through the client, whose key opens their sealed recipient
    and purpose."""
    return list(client.authorizations.filter(scope_psychotherapy_notes=False)
                .order_by("created_at", "id"))


def consent(authorization: Any) -> dict[str, Any]:
    """An authorization (release of information) as a Consent
    (https://hl7.org/fhir/R4/consent.html).

    Included with `demographics` in scope: an authorization names the client and who may
    receive their record, which is demographic, not clinical, content. The signed form
    itself stays in the practice: the Consent says how it was signed, not what it shows."""
    signed_at = authorization.signed_on_screen_at or authorization.created_at
    if authorization.signed_on_screen_name:
        source = {"title": f"Signed on screen by {authorization.signed_on_screen_name}",
                  "creation": instant(signed_at)}
    else:
        source = {"contentType": authorization.signed_form_type,
                  "title": authorization.signed_form_name or "Signed authorization form",
                  "size": authorization.signed_form_size, "creation": instant(signed_at)}
    end = authorization.expires_on
    if authorization.revoked_at is not None:
        end = min(end, timezone.localtime(authorization.revoked_at).date())
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": timezone.localtime(authorization.created_at).date().isoformat(),
                   "end": end.isoformat()},
        "actor": [{"role": {"coding": [{"system": codes.PARTICIPATION_TYPE, "code": "IRCP",
                                        "display": "information recipient"}]},
                   "reference": {"display": authorization.recipient_display}}],
        "action": [{"coding": [{"system": codes.CONSENT_ACTION, "code": "disclose",
                                "display": "Disclose"}]}],
        "class": [{"system": codes.RESOURCE_TYPES, "code": kind}
                  for scope in sorted(authorization.scope)
                  for kind in SCOPE_RESOURCES.get(scope, ())],
    }
    if authorization.date_from or authorization.date_to:
        provision["dataPeriod"] = {
            **({"start": authorization.date_from.isoformat()} if authorization.date_from
               else {}),
            **({"end": authorization.date_to.isoformat()} if authorization.date_to else {}),
        }
    return validated({
        "resourceType": "Consent",
        "id": str(authorization.pk),
        "extension": [{"url": codes.PURPOSE_EXTENSION, "valueString": authorization.purpose}],
        "status": codes.CONSENT_STATUS[authorization.status()],
        "scope": {"coding": [{"system": codes.CONSENT_SCOPE, "code": "patient-privacy",
                              "display": "Privacy Consent"}]},
        "category": [{"coding": [codes.loinc_coding(*codes.CONSENT_CATEGORY)]}],
        "patient": ref("Patient", authorization.client_id),
        "dateTime": instant(signed_at),
        "performer": [ref("Patient", authorization.client_id)],
        "organization": [organization_ref(authorization.client.practice_id)],
        "sourceAttachment": source,
        "policyRule": {"coding": [{"system": codes.CONSENT_POLICY, "code": "hipaa-auth",
                                   "display": "HIPAA Authorization"}]},
        "provision": provision,
    })

