"""API routes for the practice's note templates (ADR 0015): read-only lists of the
templates and of one template's versions. Templates are edited on the pages."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from psynote.api import ERRORS
from psynote.notes.template_access import get_template_for, templates_for
from psynote.notes.template_models import NoteTemplate, NoteTemplateVersion

router = Router(tags=["note templates"])


class NoteTemplateOut(Schema):
    id: int
    key: str
    name: str
    builtin: bool
    retired: bool
    latest_version: int

    @staticmethod
    def resolve_retired(template: NoteTemplate) -> bool:
        return template.is_retired

    @staticmethod
    def resolve_latest_version(template: NoteTemplate) -> int:
        latest = template.latest_version()
        return latest.number if latest else 0


class NoteTemplateSectionOut(Schema):
    key: str
    label: str
    prompt: str
    required: bool


class NoteTemplateVersionOut(Schema):
    id: int
    number: int
    name: str
    sections: list[NoteTemplateSectionOut]
    blocks: list[str]
    session_kinds: list[str]
    created_at: datetime


@router.get("/note-templates", response={200: list[NoteTemplateOut], **ERRORS})
def list_templates(request: HttpRequest) -> Any:
    """The practice's note templates, retired ones included (`retired`)."""
    return list(templates_for(request.user).order_by("name", "pk"))


@router.get("/note-templates/{int:template_id}/versions",
            response={200: list[NoteTemplateVersionOut], **ERRORS})
def list_versions(request: HttpRequest, template_id: int) -> Any:
    """Every published version of one template, oldest first; versions never change."""
    template = get_template_for(request.user, template_id)
    return list(NoteTemplateVersion.objects.filter(template=template).order_by("number"))
