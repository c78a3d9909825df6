"""A plan version as the pages show it: its structure with labels and names filled in."""

from typing import Any

from psynote.accounts.models import User
from psynote.clients.models import Diagnosis
from psynote.plans.models import AgreementMethod, Objective, PlanVersion

STATUS_LABELS = dict(Objective.Status.choices)


def outline(version: PlanVersion) -> dict[str, Any]:
    """`version.structure()` plus, per problem, its Diagnosis; per objective its status
    label; per intervention the responsible colleague's name. Three queries."""
    structure = version.structure()
    problems = structure["problems"]
    diagnoses = Diagnosis.objects.in_bulk(
        [p["diagnosis_id"] for p in problems if p["diagnosis_id"]]
    )
    user_ids = [
        i["responsible_user_id"]
        for p in problems
        for i in p["interventions"]
        if i["responsible_user_id"]
    ]
    users = User.objects.in_bulk(user_ids)
    for problem in problems:
        problem["diagnosis"] = diagnoses.get(problem["diagnosis_id"])
        for goal in problem["goals"]:
            for objective in goal["objectives"]:
                objective["status_label"] = STATUS_LABELS.get(objective["status"], "")
        for intervention in problem["interventions"]:
            user = users.get(intervention["responsible_user_id"])
            intervention["responsible_name"] = user.signature_name if user else ""
    structure["agreement_method_label"] = dict(AgreementMethod.choices).get(
        structure["client_agreement_method"], ""
    )
    return structure


def objectives_of(structure: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for p in structure["problems"] for g in p["goals"] for o in g["objectives"]]
