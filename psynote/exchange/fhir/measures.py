"""A measure administration as a QuestionnaireResponse (the answers, LOINC-coded where
the instrument's panel has answer codes) and an Observation of category survey (the total
score, derivedFrom the QuestionnaireResponse)."""

from typing import Any

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.validation import validated
from psynote.measures import library
from psynote.measures.models import Administration


def _answer(instrument: library.Instrument, number: int, value: int) -> dict[str, Any]:
    item = instrument.item(number)
    option = next((o for o in item.options if o.value == value), None) if item else None
    if option is not None and option.loinc:
        return {"valueCoding": {**codes.loinc_coding(option.loinc), "display": option.label}}
    return {"valueInteger": value}


def questionnaire_response(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    questionnaire = (f"http://loinc.org/q/{instrument.loinc_panel}" if instrument.loinc_panel
                     else f"{codes.LOCAL}:questionnaire:{instrument.key}")
    answers = {int(k): v for k, v in administration.answers.items()}
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": str(item.number), "text": item.text}
        if answers.get(item.number) is not None:
            entry["answer"] = [_answer(instrument, item.number, answers[item.number])]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(administration.pk),
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": ref("Patient", administration.client_id),
        "authored": instant(administration.administered_at),
        "item": items,
    }
    if administration.source == Administration.Source.SELF_REPORT:
        resource["source"] = ref("Patient", administration.client_id)
    elif administration.created_by_id:
        resource["author"] = ref("Practitioner", administration.created_by_id)
    return validated(resource)


def observation(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    code: dict[str, Any] = {"text": f"{instrument.short_name} total score"}
    if instrument.loinc_total:
        code["coding"] = [codes.loinc_coding(instrument.loinc_total)]
    else:
        code["coding"] = [{"system": f"{codes.LOCAL}:instrument", "code": instrument.key,
                           "display": instrument.title}]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(administration.pk),
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey",
                                  "display": "Survey"}]}],
        "code": code,
        "subject": ref("Patient", administration.client_id),
        "effectiveDateTime": instant(administration.administered_at),
        "valueInteger": administration.total,
        "derivedFrom": [ref("QuestionnaireResponse", administration.pk)],
    }
    if administration.band:
        resource["interpretation"] = [{"text": administration.band}]
    if administration.created_by_id:
        resource["performer"] = [ref("Practitioner", administration.created_by_id)]
    return validated(resource)

