"""Writing the practice's note templates (ADR 0015): seeding the built-ins, creating,
publishing a new version, retiring, deleting an unused one, and who may edit them.

Each action is one transaction with its audit event; events carry ids and numbers only.
Bad input raises ValidationError listing every problem, before anything is written.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.accounts.models import Practice, Role
from psynote.audit import log
from psynote.notes.template_models import NoteTemplate, NoteTemplateVersion, TemplateEditor
from psynote.notes.templates import ALL_OPTIONAL_BLOCKS, BUILTIN_TEMPLATES, Template
from psynote.visits.cpt import SERVICES

MAX_NAME = 120
MAX_KEY = 20
MAX_PROMPT = 2_000
MAX_SECTIONS = 30
SERVICE_KEYS = {key for key, _ in SERVICES}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class SectionIn:
    label: str
    key: str = ""
    prompt: str = ""
    required: bool = True


def may_edit_templates(user: Any) -> bool:
    """The practice admin, and clinicians the admin granted it (TemplateEditor)."""
    if not getattr(user, "is_authenticated", False) or user.practice_id is None:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.is_clinical and TemplateEditor.objects.filter(user=user).exists()


def key_from(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if key and not key[0].isalpha():
        key = "s_" + key
    return key[:MAX_KEY]


def _clean_sections(sections: list[SectionIn], problems: list[str]) -> list[dict[str, Any]]:
    if not sections:
        problems.append("a template needs at least one section")
    if len(sections) > MAX_SECTIONS:
        problems.append(f"a template has at most {MAX_SECTIONS} sections")
    result, labels, keys = [], set(), set()
    for number, section in enumerate(sections, start=1):
        label, prompt = section.label.strip(), section.prompt.strip().replace("\r\n", "\n")
        key = section.key.strip() or key_from(label)
        where = f"section {number}"
        if not label:
            problems.append(f"{where}: the name is empty")
        elif len(label) > MAX_NAME:
            problems.append(f"{where}: the name is longer than {MAX_NAME} characters")
        elif label.casefold() in labels:
            problems.append(f"{where}: another section is already named “{label}”")
        if label and (not _KEY.match(key) or len(key) > MAX_KEY):
            problems.append(f"{where}: the key must be lowercase letters, digits and _, "
                            f"start with a letter, at most {MAX_KEY} characters")
        elif key in keys:
            problems.append(f"{where}: another section already has the key “{key}”")
        if len(prompt) > MAX_PROMPT:
            problems.append(f"{where}: the prompt is longer than {MAX_PROMPT} characters")
        labels.add(label.casefold())
        keys.add(key)
        result.append({"key": key, "label": label, "prompt": prompt,
                       "required": bool(section.required)})
    return result


def _clean(name: str, sections: list[SectionIn], blocks: list[str],
           session_kinds: list[str], problems: list[str]) -> dict[str, Any]:
    name = name.strip()
    if not name:
        problems.append("the template name is empty")
    elif len(name) > MAX_NAME:
        problems.append(f"the template name is longer than {MAX_NAME} characters")
    bad_blocks = sorted(set(blocks) - set(ALL_OPTIONAL_BLOCKS))
    if bad_blocks:
        problems.append(f"unknown blocks: {', '.join(bad_blocks)}")
    bad_kinds = sorted(set(session_kinds) - SERVICE_KEYS)
    if bad_kinds:
        problems.append(f"unknown session kinds: {', '.join(bad_kinds)}")
    return {
        "name": name,
        "sections": _clean_sections(sections, problems),
        "blocks": [b for b in ALL_OPTIONAL_BLOCKS if b in blocks],
        "session_kinds": sorted(set(session_kinds) & SERVICE_KEYS),
    }


def _audit(by: Any, action: str, template: NoteTemplate, **detail: Any) -> None:
    log.record(practice_id=template.practice_id, action=action, actor=by,
               target_type="note_template", target_id=template.pk,
               detail={"key": template.key, **detail})


def seed_builtins(practice: Practice) -> None:
    """Version 1 of each built-in template, for a practice that has none of them yet."""
    have = set(NoteTemplate.objects.filter(practice=practice).values_list("key", flat=True))
    for builtin in BUILTIN_TEMPLATES.values():
        if builtin.key in have:
            continue
        template = NoteTemplate.objects.create(practice=practice, key=builtin.key,
                                               name=builtin.name, builtin=True)
        NoteTemplateVersion.objects.create(template=template, number=1, **_as_row(builtin))


def _as_row(definition: Template) -> dict[str, Any]:
    return {
        "name": definition.name,
        "sections": [{"key": s.key, "label": s.label, "prompt": s.prompt,
                      "required": s.required} for s in definition.sections],
        "blocks": list(definition.blocks),
        "session_kinds": list(definition.session_kinds),
    }


@transaction.atomic
def create_template(*, by: Any, name: str, key: str = "", sections: list[SectionIn],
                    blocks: list[str], session_kinds: list[str]) -> NoteTemplate:
    problems: list[str] = []
    row = _clean(name, sections, blocks, session_kinds, problems)
    key = key.strip() or key_from(name)
    if not key and not name.strip():
        pass  # the empty name is the problem to report, not the key made from it
    elif not _KEY.match(key) or len(key) > MAX_KEY:
        problems.append("the template key must be lowercase letters, digits and _, start "
                        f"with a letter, at most {MAX_KEY} characters")
    elif NoteTemplate.objects.filter(practice_id=by.practice_id, key=key).exists():
        problems.append(f"the practice already has a template with the key “{key}”")
    if problems:
        raise ValidationError(problems)
    template = NoteTemplate.objects.create(practice_id=by.practice_id, key=key,
                                           name=row["name"])
    version = NoteTemplateVersion.objects.create(template=template, number=1, created_by=by,
                                                 **row)
    _audit(by, "template.create", template, version=version.number)
    return template


@transaction.atomic
def publish_version(*, by: Any, template: NoteTemplate, name: str, sections: list[SectionIn],
                    blocks: list[str], session_kinds: list[str]) -> NoteTemplateVersion:
    """Editing a template publishes its next version; notes keep the one they have."""
    template = NoteTemplate.objects.select_for_update().get(pk=template.pk)
    problems: list[str] = []
    row = _clean(name, sections, blocks, session_kinds, problems)
    if problems:
        raise ValidationError(problems)
    latest = template.latest_version()
    version = NoteTemplateVersion.objects.create(
        template=template, number=latest.number + 1 if latest else 1, created_by=by, **row)
    template.name = row["name"]
    template.save(update_fields=["name"])
    _audit(by, "template.version", template, version=version.number)
    return version


@transaction.atomic
def set_retired(*, by: Any, template: NoteTemplate, retired: bool) -> NoteTemplate:
    template = NoteTemplate.objects.select_for_update().get(pk=template.pk)
    if retired and template.retired_at is None:
        template.retired_at = timezone.now()
    elif not retired:
        template.retired_at = None
    template.save(update_fields=["retired_at"])
    _audit(by, "template.retire" if retired else "template.reinstate", template)
    return template


@transaction.atomic
def delete_template(*, by: Any, template: NoteTemplate) -> None:
    """Only a template no note was written with; the PROTECT foreign key from notes to
    versions refuses the rest in the database as well."""
    template = NoteTemplate.objects.select_for_update().get(pk=template.pk)
    if NoteTemplateVersion.objects.filter(template=template, notes__isnull=False).exists():
        raise ValidationError("notes were written with this template, so it cannot be "
                              "deleted; retire it instead")
    _audit(by, "template.delete", template)
    NoteTemplateVersion.objects.filter(template=template).delete()
    template.delete()


@transaction.atomic
def set_editor(*, by: Any, user: Any, allowed: bool) -> None:
    if by.role != Role.ADMIN or user.practice_id != by.practice_id or not user.is_clinical:
        raise ValidationError("only the practice admin grants template editing, and only "
                              "to a clinician of the practice")
    if allowed:
        TemplateEditor.objects.get_or_create(user=user, defaults={"granted_by": by})
    else:
        TemplateEditor.objects.filter(user=user).delete()
    log.record_by(by, "template.editor_grant" if allowed else "template.editor_revoke",
                  target_type="user", target_id=user.pk)


def version_for_new_note(practice_id: int, key: str, service: str = "") -> NoteTemplateVersion:
    """The latest version of the practice's template `key`, if offered for new notes."""
    template = NoteTemplate.objects.filter(practice_id=practice_id, key=key,
                                           retired_at__isnull=True).first()
    version = template.latest_version() if template is not None else None
    if version is None or (service and version.session_kinds
                           and service not in version.session_kinds):
        offered = ", ".join(v.template.key for v in offered_versions(practice_id, service))
        raise ValidationError(f"unknown template {key!r}; choose one of {offered}")
    return version


def offered_versions(practice_id: int, service: str = "") -> list[NoteTemplateVersion]:
    """The new-note picker: the latest version of each template not retired, offered for
    this session's service."""
    result = []
    templates = NoteTemplate.objects.filter(practice_id=practice_id, retired_at__isnull=True)
    for template in templates.order_by("name", "pk"):
        version = template.latest_version()
        if version is None:
            continue
        if service and version.session_kinds and service not in version.session_kinds:
            continue
        result.append(version)
    return result
