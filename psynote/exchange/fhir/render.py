"""A signed progress note as plain text, the way a receiving clinician reads it: sections
in the template's order, mental status, risk, interventions, the signature line with
credentials, then each addendum in the order it was signed."""

from datetime import UTC
from typing import Any

from psynote.notes.models import Addendum, ProgressNote
from psynote.notes.templates import (
    INTERVENTIONS,
    MSE_FIELDS,
    RISK_LEVELS,
    RISK_TEXT_FIELDS,
)

_INTERVENTION_LABELS = dict(INTERVENTIONS)
_RISK_LEVELS = dict(RISK_LEVELS)


def _when(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def note_text(note: ProgressNote, addenda: list[Addendum]) -> str:
    content = note.content()
    template = note.template_def  # the version it was written with (ADR 0015)
    session = content.get("session") or {}
    lines = [f"Progress note ({template.name})"]
    if session:
        lines.append(f"Session: {session.get('date', '')} {session.get('start', '')}"
                     f"-{session.get('end', '')} ({session.get('minutes', '')} min), "
                     f"{session.get('modality', '')}")
    if note.cpt_code:
        lines.append(f"Service: {note.cpt_code}")
    if session.get("participants"):
        lines.append(f"Participants (by role): {', '.join(session['participants'])}")
    if content.get("diagnosis_codes"):
        lines.append(f"Diagnoses addressed: {', '.join(content['diagnosis_codes'])}")
    if note.late_entry:
        lines.append(f"LATE ENTRY: {content.get('late_reason', '')}")
    for section in template.sections:
        text = content.get("sections", {}).get(section.key, "")
        if text:
            lines += ["", section.label.upper(), text]
    mse = [(label, content.get("mse", {}).get(key, "")) for key, label in MSE_FIELDS]
    if any(value for _, value in mse):
        lines += ["", "MENTAL STATUS"]
        lines += [f"{label}: {value}" for label, value in mse if value]
    risk = content.get("risk") or {}
    lines += ["", "RISK",
              f"Suicidal ideation: {risk.get('si', 'none')}; homicidal ideation: "
              f"{risk.get('hi', 'none')}"
              + (f"; level: {_RISK_LEVELS.get(risk['level'], risk['level'])}"
                 if risk.get("level") else "")]
    lines += [f"{label}: {risk[key]}" for key, label in RISK_TEXT_FIELDS if risk.get(key)]
    interventions = [_INTERVENTION_LABELS.get(k, k) for k in content.get("interventions", [])]
    if content.get("interventions_other"):
        interventions.append(content["interventions_other"])
    if interventions:
        lines += ["", "INTERVENTIONS", "; ".join(interventions)]
    objectives = content.get("objectives") or []
    if objectives:
        lines += ["", "TREATMENT PLAN OBJECTIVES"]
        lines += [f"{o['objective']}: {o['rating']}" + (f" ({o['comment']})" if o.get("comment")
                                                         else "") for o in objectives]
    if content.get("no_objective_reason"):
        lines += ["", f"No plan objective addressed: {content['no_objective_reason']}"]
    lines += ["", f"Electronically signed by {note.signer_name} on {_when(note.signed_at)}",
              f"Content SHA-256: {note.content_hash}"]
    for n, addendum in enumerate(addenda, 1):
        lines += ["", f"ADDENDUM {n} ({addendum.get_kind_display()})", addendum.body(),
                  f"Signed by {addendum.signer_name} on {_when(addendum.signed_at)}",
                  f"Content SHA-256: {addendum.content_hash}"]
    return "\n".join(lines) + "\n"
