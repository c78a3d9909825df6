"""A diagnosis as a problem-list Condition coded in ICD-10-CM
(http://hl7.org/fhir/sid/icd-10-cm)."""

from typing import Any

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.validation import validated


def condition(diagnosis: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(diagnosis.pk),
        "clinicalStatus": {"coding": [{
            "system": codes.CONDITION_CLINICAL,
            "code": codes.CONDITION_CLINICAL_STATUS[diagnosis.status]}]},
        "verificationStatus": {"coding": [{
            "system": codes.CONDITION_VERIFICATION,
            "code": codes.CONDITION_VERIFICATION_STATUS[diagnosis.status]}]},
        "category": [{"coding": [{"system": codes.CONDITION_CATEGORY,
                                  "code": "problem-list-item", "display": "Problem List Item"}]}],
        "code": {"coding": [codes.icd10_coding(diagnosis.code)], "text": diagnosis.description},
        "subject": ref("Patient", diagnosis.client_id),
        "recordedDate": instant(diagnosis.added_at),
        "recorder": ref("Practitioner", diagnosis.added_by_id),
    }
    if diagnosis.onset_date:
        resource["onsetDateTime"] = diagnosis.onset_date.isoformat()
    return validated(resource)

