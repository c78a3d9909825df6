from typing import Any

from django import template

from psynote.supervision.panel import panel_context

register = template.Library()


@register.inclusion_tag("supervision/_note_panel.html", takes_context=True)
def supervision_panel(context: Any, note: Any) -> dict[str, Any]:
    """The co-signature, review state, comments and review actions under a note."""
    request = context["request"]
    return panel_context(request.user, note) | {"csrf_token": context.get("csrf_token")}
