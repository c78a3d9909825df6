"""Checking a progress note's content: its shape on every save, completeness at signing."""

from typing import Any

from django.core.exceptions import ValidationError

from psynote.measures.models import RiskAlert
from psynote.notes.templates import (
    HI_CHOICES,
    INTERVENTION_KEYS,
    MSE_FIELDS,
    RISK_LEVELS,
    RISK_TEXT_FIELDS,
    SI_CHOICES,
    Template,
    empty_content,
)

MAX_TEXT = 50_000
# Progress on a treatment-plan objective, as the note rates it (the golden thread).
OBJECTIVE_RATINGS = (("progressing", "Progressing"), ("no_change", "No change"),
                     ("regressing", "Regressing"), ("achieved", "Achieved"))


def _text(value: Any, where: str, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{where} must be text")
        return ""
    if len(value) > MAX_TEXT:
        problems.append(f"{where} is longer than {MAX_TEXT} characters")
    return value.replace("\r\n", "\n")


def _choice(value: Any, choices: tuple[tuple[str, str], ...], where: str,
            problems: list[str], allow_blank: bool = False) -> str:
    allowed = {key for key, _ in choices}
    if (value in ("", None) and allow_blank) or value in allowed:
        return value or ""
    problems.append(f"{where} must be one of: {', '.join(sorted(allowed))}")
    return ""


def _objectives(given: Any, objectives: dict[str, str], problems: list[str]
                ) -> list[dict[str, str]]:
    """The note's ratings of plan objectives, each checked against the open objectives of
    the plan in force (`objectives`: key → text), with the objective's text kept beside
    the rating so the signed note says what it worked on."""
    if not isinstance(given, list) or not all(isinstance(x, dict) for x in given):
        problems.append("objectives must be a list of {objective_key, rating, comment}")
        return []
    result, seen = [], set()
    for entry in given:
        key = entry.get("objective_key")
        unknown = set(entry) - {"objective_key", "rating", "comment"}
        if unknown:
            problems.append(f"objectives: unknown fields {', '.join(sorted(unknown))}")
        if not isinstance(key, str) or key not in objectives:
            problems.append("objectives: not an open objective of this client's treatment "
                            "plan in force")
            continue
        if key in seen:
            problems.append("objectives: each objective is rated once")
            continue
        seen.add(key)
        rating = entry.get("rating")
        rating = _choice(rating if isinstance(rating, str) else None, OBJECTIVE_RATINGS,
                         f"the rating of “{objectives[key][:60]}”", problems)
        comment = _text(entry.get("comment"), "objectives.comment", problems)
        result.append({"objective_key": key, "objective": objectives[key], "rating": rating,
                       "comment": comment})
    return result


def merge(template: Template, current: dict[str, Any], changes: dict[str, Any],
          chart_codes: set[str], objectives: dict[str, str] | None = None) -> dict[str, Any]:
    """Apply a partial update to a draft's content; refuse anything malformed, whole.

    `objectives`: key → text of the open objectives of the client's plan in force, which
    the note's `objectives` ratings may name."""
    problems: list[str] = []
    result = empty_content(template) | {k: v for k, v in current.items()}
    if not isinstance(changes, dict):
        raise ValidationError("content must be an object")
    unknown = set(changes) - {"sections", "mse", "risk", "interventions",
                              "interventions_other", "diagnosis_codes", "objectives",
                              "no_objective_reason"}
    if unknown:
        problems.append(f"unknown content fields: {', '.join(sorted(unknown))}")
    for block, allowed in (
        ("sections", {s.key for s in template.sections}),
        ("mse", {key for key, _ in MSE_FIELDS}),
    ):
        given = changes.get(block, {})
        if not isinstance(given, dict):
            problems.append(f"{block} must be an object")
            continue
        for key, value in given.items():
            if key not in allowed:
                problems.append(f"{block}: no field {key!r} in this template")
            else:
                result[block] = {**result[block], key: _text(value, f"{block}.{key}", problems)}
    risk = changes.get("risk", {})
    if not isinstance(risk, dict):
        problems.append("risk must be an object")
        risk = {}
    new_risk = dict(result["risk"])
    text_keys = {key for key, _ in RISK_TEXT_FIELDS}
    for key, value in risk.items():
        if key == "flagged":
            if not isinstance(value, bool):
                problems.append("risk.flagged must be true or false")
            new_risk["flagged"] = bool(value)
        elif key == "si":
            new_risk["si"] = _choice(value, SI_CHOICES, "risk.si", problems)
        elif key == "hi":
            new_risk["hi"] = _choice(value, HI_CHOICES, "risk.hi", problems)
        elif key == "level":
            new_risk["level"] = _choice(value, RISK_LEVELS, "risk.level", problems, True)
        elif key in text_keys:
            new_risk[key] = _text(value, f"risk.{key}", problems)
        else:
            problems.append(f"risk: no field {key!r}")
    result["risk"] = new_risk
    if "interventions" in changes:
        given = changes["interventions"]
        if not isinstance(given, list) or not all(isinstance(x, str) for x in given):
            problems.append("interventions must be a list of names")
        else:
            bad = sorted(set(given) - INTERVENTION_KEYS)
            if bad:
                problems.append(f"unknown interventions: {', '.join(bad)}")
            result["interventions"] = sorted(set(given) & INTERVENTION_KEYS)
    if "interventions_other" in changes:
        result["interventions_other"] = _text(changes["interventions_other"],
                                              "interventions_other", problems)
    if "diagnosis_codes" in changes:
        given = changes["diagnosis_codes"]
        if not isinstance(given, list) or not all(isinstance(x, str) for x in given):
            problems.append("diagnosis_codes must be a list of ICD-10-CM codes")
        else:
            missing = sorted(set(given) - chart_codes)
            if missing:
                problems.append(f"not diagnoses on this client's chart: {', '.join(missing)}")
            result["diagnosis_codes"] = sorted(set(given) & chart_codes)
    if "objectives" in changes:
        result["objectives"] = _objectives(changes["objectives"], objectives or {}, problems)
    if "no_objective_reason" in changes:
        result["no_objective_reason"] = _text(changes["no_objective_reason"],
                                              "no_objective_reason", problems)
    if problems:
        raise ValidationError(problems)
    return result


def risk_is_flagged(content: dict[str, Any]) -> bool:
    risk = content.get("risk", {})
    return bool(risk.get("flagged")) or risk.get("si", "none") != "none" or risk.get(
        "hi", "none") != "none"


def completeness_problems(template: Template, content: dict[str, Any], session: Any) -> list[str]:
    """What stops a note being signed; an empty list means it may be signed."""
    problems = []
    for section in template.sections:
        if section.required and not content["sections"].get(section.key, "").strip():
            problems.append(f"{section.label} is empty")
    if session.start_time is None or session.end_time is None:
        problems.append("the session needs a start and stop time")
    if session.attendance != "attended":
        problems.append("a progress note documents an attended session")
    if not content.get("diagnosis_codes"):
        problems.append("choose at least one diagnosis this session addressed")
    # A critical answer on a measure (PHQ-9 item 9 above 0) counts as flagged risk for
    # every note until a clinician resolves the alert.
    alerts = list(RiskAlert.objects.open().filter(client_id=session.client_id)
                  .select_related("administration"))
    if risk_is_flagged(content) or alerts:
        risk = content["risk"]
        block = []
        if not risk.get("level"):
            block.append("risk was flagged: set the risk level")
        if not risk.get("protective_factors", "").strip():
            block.append("risk was flagged: record protective factors")
        if risk.get("level") in ("moderate", "high") and not risk.get("safety_plan", "").strip():
            block.append("moderate or high risk: record the safety plan")
        if block:
            problems.extend(f"{'; '.join(alert.reasons())} (open risk alert): complete the "
                            "risk assessment" for alert in alerts)
        problems.extend(block)
    return problems
