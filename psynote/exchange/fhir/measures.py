"""A measure administration in the US Core screening-and-assessment pattern: a
QuestionnaireResponse (the answers) and an Observation of category survey for the total,
`derivedFrom` the QuestionnaireResponse (docs/clinical-sources.md#fhir-measures).

A receiver matches answers to the LOINC form by `item.linkId`: it is the item's LOINC
code where the instrument has one (PHQ-9 with its difficulty question, PHQ-2, GAD-7,
GAD-2, AUDIT-C), and `questionnaire` is the LOINC panel (`http://loinc.org/q/<panel>`)
where there is one. Items without a LOINC code (PCL-5, WHO-5) get `<instrument>-<number>`:
never a bare number a receiver cannot match.

An instrument whose app score is a percentage (WHO-5, raw 0-25 times 4) goes out as the
percentage the app shows, with the raw total as a component, under the local
instrument code system since no authoritative LOINC code exists.
"""

from typing import Any

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.validation import validated
from psynote.measures import library
from psynote.measures.models import Administration

UCUM = "http://unitsofmeasure.org"


def link_id(instrument: library.Instrument, item: Any) -> str:
    return item.loinc or f"{instrument.key}-{item.number}"


def questionnaire_url(instrument: library.Instrument) -> str:
    return (f"http://loinc.org/q/{instrument.loinc_panel}" if instrument.loinc_panel
            else f"{codes.LOCAL}:questionnaire:{instrument.key}")


def _answer(instrument: library.Instrument, number: int, value: int) -> dict[str, Any]:
    item = instrument.item(number)
    option = next((o for o in item.options if o.value == value), None) if item else None
    if option is not None and option.loinc:
        return {"valueCoding": {**codes.loinc_coding(option.loinc), "display": option.label}}
    return {"valueInteger": value}


def questionnaire_response(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    answers = {int(k): v for k, v in administration.answers.items()}
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": link_id(instrument, item), "text": item.text}
        if item.loinc:
            entry["definition"] = f"{questionnaire_url(instrument)}#{item.loinc}"
        if answers.get(item.number) is not None:
            entry["answer"] = [_answer(instrument, item.number, answers[item.number])]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(administration.pk),
        "identifier": {"system": codes.local_system(administration.client.practice_id,
                                                    "administration"),
                       "value": str(administration.pk)},
        "questionnaire": questionnaire_url(instrument),
        "status": "completed",
        "subject": ref("Patient", administration.client_id),
        "authored": instant(administration.administered_at),
        "item": items,
    }
    if administration.source == Administration.Source.SELF_REPORT:
        resource["author"] = resource["source"] = ref("Patient", administration.client_id)
    elif administration.created_by_id:
        resource["author"] = ref("Practitioner", administration.created_by_id)
    return validated(resource)


def _local(code: str, display: str) -> dict[str, str]:
    return {"system": codes.INSTRUMENT_SYSTEM, "code": code, "display": display}


def observation(administration: Administration) -> dict[str, Any]:
    instrument = administration.definition
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(administration.pk),
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey",
                                  "display": "Survey"}]}],
        "subject": ref("Patient", administration.client_id),
        "effectiveDateTime": instant(administration.administered_at),
        "derivedFrom": [ref("QuestionnaireResponse", administration.pk)],
    }
    if instrument.has_percentage:
        percentage = administration.total * instrument.scoring.multiplier
        resource["code"] = {"coding": [_local(f"{instrument.key}-percentage",
                                              f"{instrument.title}, percentage score")],
                            "text": instrument.reported_label}
        resource["valueQuantity"] = {"value": percentage, "unit": "%", "system": UCUM,
                                     "code": "%"}
        resource["component"] = [{
            "code": {"coding": [_local(f"{instrument.key}-raw",
                                       f"{instrument.title}, raw score")],
                     "text": f"{instrument.short_name} raw score "
                             f"({instrument.scoring.low}-{instrument.scoring.high})"},
            "valueInteger": administration.total}]
    else:
        coding = (codes.loinc_coding(instrument.loinc_total) if instrument.loinc_total
                  else _local(instrument.key, instrument.title))
        resource["code"] = {"coding": [coding], "text": f"{instrument.short_name} total score"}
        resource["valueInteger"] = administration.total
    if administration.band:
        resource["interpretation"] = [{"text": administration.band}]
    if administration.created_by_id:
        resource["performer"] = [ref("Practitioner", administration.created_by_id)]
    return validated(resource)
