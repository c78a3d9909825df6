"""Access to the practice's note templates (ADR 0015).

Those who write or manage notes read their practice's templates (clinicians, supervisors,
the admin); the admin and the clinicians the admin granted it (`TemplateEditor`) change
them. Front desk and the privacy officer have no use for them. Anything else is a 404,
as for every resource: another practice's template does not exist for the caller.
"""

from typing import Any

from django.core.exceptions import ValidationError

from psynote.accounts.models import Role
from psynote.clients.access import deny
from psynote.notes.template_actions import may_edit_templates
from psynote.notes.template_models import NoteTemplate

READERS = {Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN}


def templates_for(user: Any):  # type: ignore[no-untyped-def]
    if not getattr(user, "is_authenticated", False) or user.role not in READERS:
        return NoteTemplate.objects.none()
    return NoteTemplate.objects.filter(practice_id=user.practice_id)


def get_template_for(user: Any, template_id: object, *, edit: bool = False) -> NoteTemplate:
    if edit and not may_edit_templates(user):
        raise deny(user, "note_template", template_id, "edit_templates")
    try:
        return templates_for(user).get(pk=template_id)
    except (NoteTemplate.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "note_template", template_id, "read_templates") from None
