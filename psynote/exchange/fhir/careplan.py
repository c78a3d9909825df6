"""A signed treatment-plan version as a CarePlan with its Goals and the signature's
Provenance."""

from collections.abc import Iterator
from html import escape
from typing import Any

from psynote.clients.models import Client
from psynote.exchange.fhir import codes, provenance
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.scope import DateRange
from psynote.exchange.fhir.validation import validated


def plan_version(client: Client, date_range: DateRange) -> Any:
    """The plan version to export: the newest signed one (the version in force) among
    those signed within the date range; None without one or without the plans app."""
    from psynote.exchange import selection

    versions = selection.plan_versions(client, date_range)
    if versions is None:
        return None
    version = versions.with_superseded().select_related("plan__client").last()
    return version


def _goal_status(statuses: list[str]) -> tuple[str, str | None]:
    """Goal.lifecycleStatus and achievementStatus from its objectives' statuses."""
    open_ = [s for s in statuses if s in ("not_started", "in_progress", "revised")]
    if statuses and not open_:
        if "achieved" in statuses:
            return "completed", "achieved"
        return "cancelled", None
    if any(s in ("in_progress", "revised", "achieved") for s in statuses):
        return "active", "in-progress"
    return "active", None


def _narrative(care_plan: dict[str, Any], structure: dict[str, Any]) -> dict[str, str]:
    """CarePlan.text (US Core: status and div): the plan as a reader sees it, escaped."""
    parts = [f"<p><b>{escape(care_plan['title'])}</b> ({escape(care_plan['status'])})</p>"]
    for problem in structure["problems"]:
        goals = "".join(f"<li>{escape(g['text'] or 'Treatment goal')}</li>"
                        for g in problem["goals"])
        parts.append(f"<p>Problem: {escape(problem['text'] or 'Unnamed problem')}</p>"
                     + (f"<ul>{goals}</ul>" if goals else ""))
    parts.append(f"<p>{escape(care_plan['note'][0]['text'])}</p>")
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{"".join(parts)}</div>'}


def plan_resources(version: Any, *, diagnoses: bool) -> Iterator[dict[str, Any]]:
    """A signed treatment-plan version as a CarePlan, one Goal per goal (its objectives'
    targets as Goal.target) and the signature's Provenance. Problems point at their
    Conditions only when diagnoses are disclosed too."""
    structure = version.structure()
    client_id = version.plan.client_id
    started = version.client_agreement_date.isoformat()
    goal_ids: list[str] = []
    addresses: list[dict[str, str]] = []
    activities: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    for problem in structure["problems"]:
        problem_refs = ([ref("Condition", problem["diagnosis_id"])]
                        if diagnoses and problem["diagnosis_id"] else [])
        addresses += problem_refs
        for goal in problem["goals"]:
            objectives = goal["objectives"]
            lifecycle, achievement = _goal_status([o["status"] for o in objectives])
            targets = []
            for objective in objectives:
                target: dict[str, Any] = {
                    "measure": {"text": objective["text"] or "Objective"},
                    "detailString": objective["target"] or objective["text"] or "See measure",
                }
                if objective["target_date"]:
                    target["dueDate"] = objective["target_date"]
                targets.append(target)
            notes = [{"text": f"Objective: {o['text']}. Baseline: {o['baseline']}. "
                              f"Status: {o['status'].replace('_', ' ')}."}
                     for o in objectives if o["baseline"] or o["text"]]
            resource: dict[str, Any] = {
                "resourceType": "Goal",
                "id": goal["key"],
                "lifecycleStatus": lifecycle,
                "description": {"text": goal["text"] or "Treatment goal"},
                "subject": ref("Patient", client_id),
                "startDate": started,
                "expressedBy": ref("Practitioner", version.signed_by_id),
            }
            if achievement:
                resource["achievementStatus"] = {"coding": [{
                    "system": codes.GOAL_ACHIEVEMENT, "code": achievement}]}
            if targets:
                resource["target"] = targets
            if problem_refs:
                resource["addresses"] = problem_refs
            if notes:
                resource["note"] = notes
            goals.append(validated(resource))
            goal_ids.append(goal["key"])
        for intervention in problem["interventions"]:
            who = intervention["responsible"]
            words = ", ".join(w for w in (intervention["modality"], intervention["frequency"],
                                          f"by {who}" if who else "") if w)
            detail: dict[str, Any] = {"status": "in-progress",
                                      "description": words or "Intervention"}
            if intervention["responsible_user_id"]:
                detail["performer"] = [ref("Practitioner",
                                           intervention["responsible_user_id"])]
            activities.append({"detail": detail})
    problems = [p["text"] for p in structure["problems"] if p["text"]]
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(version.pk),
        "identifier": [{"system": codes.CONTENT_HASH_SYSTEM, "value": version.content_hash}],
        "status": codes.CAREPLAN_STATUS[version.status],
        "intent": "plan",
        "category": [{"coding": [codes.CAREPLAN_CATEGORY]}],
        "title": f"Treatment plan, version {version.number}",
        "subject": ref("Patient", client_id),
        "period": {"start": started},
        "created": instant(version.signed_at),
        "author": ref("Practitioner", version.signed_by_id),
        "note": [{"text": f"Agreed with the client on {started} "
                          f"({version.get_client_agreement_method_display().lower()}); "
                          f"review due {version.review_due.isoformat()}."}],
    }
    if problems:
        care_plan["description"] = "Problems: " + "; ".join(problems)
    care_plan["text"] = _narrative(care_plan, structure)
    if addresses:
        care_plan["addresses"] = list({a["reference"]: a for a in addresses}.values())
    if goal_ids:
        care_plan["goal"] = [ref("Goal", key) for key in goal_ids]
    if activities:
        care_plan["activity"] = activities
    yield validated(care_plan)
    yield from goals
    yield provenance.signature_provenance(
        id=f"sign-{version.pk}", target=ref("CarePlan", version.pk),
        signed_at=version.signed_at, content_hash=version.content_hash,
        reason=f"Signature of treatment plan version {version.number}",
        practice_id=version.plan.client.practice_id,
        agents=[("author", version.signed_by_id)])
