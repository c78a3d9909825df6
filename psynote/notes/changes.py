"""An edit of a draft progress note: what may be submitted, and the `changes` dict it
becomes for `actions.save_draft`.

Two doors lead here. The editor page posts flat form fields (`changes_from_form`); the API
takes a JSON body checked by `NoteChanges` (`changes_from_api`). Each door keeps the
messages its callers already read (the form's own sentences, the schema's field-and-message
list), and both end in the same partial dict: a part left out stays as it is in the draft,
and `content.merge` checks the rest against the note's template, chart and plan.
"""

from enum import StrEnum
from typing import Any

from django.http import QueryDict
from pydantic import ConfigDict, Field, create_model

from psynote.api import InputSchema
from psynote.notes.content import MAX_TEXT, OBJECTIVE_RATINGS
from psynote.notes.templates import (
    HI_CHOICES,
    INTERVENTIONS,
    MSE_FIELDS,
    RISK_LEVELS,
    RISK_TEXT_FIELDS,
    SI_CHOICES,
)

# --- the API body -----------------------------------------------------------------------

Si = StrEnum("Si", {key: key for key, _ in SI_CHOICES})  # type: ignore[misc]
Hi = StrEnum("Hi", {key: key for key, _ in HI_CHOICES})  # type: ignore[misc]
Rating = StrEnum("Rating", {key: key for key, _ in OBJECTIVE_RATINGS})  # type: ignore[misc]
RiskLevel = StrEnum("RiskLevel", {"blank": "", **{k: k for k, _ in RISK_LEVELS}})  # type: ignore[misc]

_STRICT = ConfigDict(extra="forbid", use_enum_values=True)


def _text() -> Any:
    return (str, Field(None, max_length=MAX_TEXT))


# Partial blocks: a field left out keeps its stored value (save_draft merges).
MseChanges = create_model(  # type: ignore[call-overload]
    "MseChanges", __config__=_STRICT, **{key: _text() for key, _ in MSE_FIELDS}
)
RiskChanges = create_model(  # type: ignore[call-overload]
    "RiskChanges",
    __config__=_STRICT,
    flagged=(bool, None),
    si=(Si, None),
    hi=(Hi, None),
    level=(RiskLevel, None),
    **{key: _text() for key, _ in RISK_TEXT_FIELDS},
)


class ObjectiveRating(InputSchema):
    objective_key: str = Field(max_length=64, description="An open objective of the plan "
                               "in force: GET /clients/{id}/objectives")
    rating: Rating  # type: ignore[valid-type]
    comment: str = Field("", max_length=MAX_TEXT)


class NoteChanges(InputSchema):
    """A partial update of a draft; what is left out stays as it is."""

    sections: dict[str, str] = Field(
        None, description="Section key → text; the keys are the template's sections"
    )
    mse: MseChanges = None  # type: ignore[valid-type]
    risk: RiskChanges = None  # type: ignore[valid-type]
    interventions: list[str] = Field(
        None,
        max_length=len(INTERVENTIONS),
        description="Names from: " + ", ".join(key for key, _ in INTERVENTIONS),
    )
    interventions_other: str = Field(None, max_length=MAX_TEXT)
    diagnosis_codes: list[str] = Field(
        None, max_length=100, description="ICD-10-CM codes on this client's chart"
    )
    objectives: list[ObjectiveRating] = Field(
        None, max_length=200, description="Progress on treatment-plan objectives (replaces)"
    )
    no_objective_reason: str = Field(
        None, max_length=MAX_TEXT, description="Why the session addressed no objective"
    )


# Every part of a draft an edit may change, in both doors.
FIELDS = tuple(NoteChanges.model_fields)


def changes_from_api(payload: NoteChanges) -> dict[str, Any]:
    """The parts the caller sent (unset ones stay out, so they stay as they are), with
    enums as their plain values."""
    return payload.model_dump(mode="json", exclude_unset=True)


# --- the editor form --------------------------------------------------------------------

# Form field names: one prefix per content block, so a partial post (autosave of a
# half-loaded page, an older tab) changes only the fields it carries.
_BLOCK_PREFIXES = (("section_", "sections"), ("mse_", "mse"), ("risk_", "risk"))
_BLOCKS = {block for _, block in _BLOCK_PREFIXES}
_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "", "off", "false", "no"}


def changes_from_form(post: QueryDict) -> tuple[dict[str, Any], list[str]]:
    """The `changes` dict for save_draft, and problems the form itself shows.

    Checkbox groups come with a hidden empty twin in the page, so "present but nothing
    ticked" (clear the list) differs from "not sent" (leave it alone).
    """
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for name in post:
        for prefix, block in _BLOCK_PREFIXES:
            if name.startswith(prefix):
                changes.setdefault(block, {})[name[len(prefix) :]] = post.get(name, "")
    risk = changes.get("risk", {})
    if "flagged" in risk:
        value = str(risk["flagged"]).strip().lower()
        if value in _TRUE:
            risk["flagged"] = True
        elif value in _FALSE:
            risk["flagged"] = False
        else:
            problems.append("“Risk concerns this session” must be ticked or not")
            del risk["flagged"]
    for name in ("interventions", "diagnosis_codes"):
        if name in post:
            changes[name] = [value for value in post.getlist(name) if value]
    if "interventions_other" in post:
        changes["interventions_other"] = post.get("interventions_other", "")
    # Treatment-plan objectives: one rating select and comment per open objective; the
    # hidden marker tells "none rated" (clear the list) from "block not on the page".
    if "objectives_shown" in post:
        rated = []
        for name in post:
            if name.startswith("objective_rating_"):
                key = name[len("objective_rating_") :]
                rating = post.get(name, "").strip()
                comment = post.get(f"objective_comment_{key}", "")
                if rating:
                    rated.append({"objective_key": key, "rating": rating, "comment": comment})
                elif comment.strip():
                    problems.append("Choose how the client progressed on each objective you "
                                    "commented on (or clear the comment)")
        changes["objectives"] = rated
    if "no_objective_reason" in post:
        changes["no_objective_reason"] = post.get("no_objective_reason", "")
    return changes, problems


def shown_content(content: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """What the clinician typed laid over the stored draft, to re-show a refused form."""
    shown = {
        key: dict(value) if isinstance(value, dict) else value for key, value in content.items()
    }
    for _, block in _BLOCK_PREFIXES:
        if isinstance(changes.get(block), dict):
            shown[block] = {**shown.get(block, {}), **changes[block]}
    for key in FIELDS:
        if key not in _BLOCKS and key in changes:
            shown[key] = changes[key]
    return shown
