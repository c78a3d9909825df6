"""Copy-forward: a new progress note starts from sections of the client's last signed note.

Careful designs pull forward per section, only from the last *signed* note, and mark what
was carried, because cloned notes are an audit risk (docs/clinical-sources.md#copy-forward).
So:

- the source is the client's most recent signed progress note for a session before the
  new one; never a draft, and never a psychotherapy note (a different model, the author's
  alone, which this module does not read);
- the clinician picks the sections; each carried section goes into the section of the same
  key in the new note's template;
- the marker lives inside the note's encrypted content, not in a column:
  ``content["carried"] = {"from": <source note id>, "from_date": <its session date>,
  "sections": {<key>: <SHA-256 of the carried text>}}``. A section counts as carried while
  its text still hashes to the recorded value, so the first edit clears the mark without
  the editor having to remember anything, and a text edited back to the copy is shown as
  carried again (it is the copy). The mark is signed with the note (it is part of the
  content the signature covers), so the signed note and its PDF say what was carried;
- the copy is audited as ``note.carry_forward`` with the ids and section keys only.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from psynote.notes.models import ProgressNote
from psynote.notes.templates import Template
from psynote.supervision.record import in_record
from psynote.visits.models import Session

CARRIED = "carried"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def source_for(session: Session) -> ProgressNote | None:
    """The client's last signed progress note for a session before `session` (by date,
    then start time), or None. Drafts never qualify."""
    earlier = Q(session__date__lt=session.date)
    if session.start_time is not None:
        earlier |= Q(session__date=session.date, session__start_time__lt=session.start_time)
    return (
        # In the record (ADR 0013), or held for approval and the new note's author's own.
        in_record(ProgressNote.objects.signed(), session.clinician)
        .filter(earlier, client_id=session.client_id)
        .exclude(session_id=session.pk)
        .select_related("client", "session", "template_version__template")
        .order_by("-session__date", "-session__start_time", "-signed_at")
        .first()
    )


@dataclass(frozen=True)
class SourceSection:
    key: str
    label: str
    text: str


def source_sections(note: ProgressNote) -> list[SourceSection]:
    """The written sections of the source note, in its template's order."""
    sections = note.content().get("sections") or {}
    return [
        SourceSection(s.key, s.label, sections.get(s.key, ""))
        for s in note.template_def.sections
        if str(sections.get(s.key, "")).strip()
    ]


def carried_content(
    source: ProgressNote, template: Template, keys: list[str]
) -> dict[str, Any]:
    """The content blocks a new note of `template` starts with: the chosen sections' text
    and the carried mark. Refuses, whole, a key the source has not written or the chosen
    template has no section for."""
    available = {s.key: s for s in source_sections(source)}
    target = {s.key: s.label for s in template.sections}
    problems = []
    chosen = list(dict.fromkeys(keys))
    for key in chosen:
        if key not in available:
            problems.append(f"the last signed note has no written section {key!r} to carry")
        elif key not in target:
            problems.append(
                f"the {template.name} template has no “{available[key].label}” "
                f"section: choose a template that has it, or untick it"
            )
    if problems:
        raise ValidationError(problems)
    texts = {key: available[key].text for key in chosen}
    return {
        "sections": texts,
        CARRIED: {
            "from": str(source.pk),
            "from_date": source.session.date.isoformat(),
            "sections": {key: _digest(text) for key, text in texts.items()},
        },
    }


def carried_keys(content: dict[str, Any]) -> set[str]:
    """The sections whose text is still exactly what was carried (unedited)."""
    mark = content.get(CARRIED) or {}
    sections = content.get("sections") or {}
    return {
        key
        for key, digest in (mark.get("sections") or {}).items()
        if str(sections.get(key, "")).strip() and _digest(sections.get(key, "")) == digest
    }


def carried_from(content: dict[str, Any]) -> dict[str, str]:
    """The source note's id and session date, when anything is still carried."""
    mark = content.get(CARRIED) or {}
    if not carried_keys(content):
        return {}
    return {"note_id": mark.get("from", ""), "date": mark.get("from_date", "")}


def start_context(session: Session, ticked: list[str]) -> dict[str, Any]:
    """What the new-note page offers to carry: the source note and its written sections."""
    source = source_for(session)
    if source is None:
        return {"carry_source": None, "carry_sections": []}
    return {
        "carry_source": source,
        "carry_sections": [
            {"key": s.key, "label": s.label, "text": s.text, "checked": s.key in ticked}
            for s in source_sections(source)
        ],
    }
