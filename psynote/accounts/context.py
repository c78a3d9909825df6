from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from psynote.accounts.idle import seconds_left
from psynote.accounts.models import Role

_CLINICAL = {Role.CLINICIAN, Role.SUPERVISOR}
# The main menu: label, URL name, the roles shown the link (what each may open is decided
# by the page itself; this only spares a role links that would 404 for it).
_MENU = (
    ("Today", "dashboard", _CLINICAL),
    ("Calendar", "calendar_week", _CLINICAL | {Role.FRONT_DESK}),
    ("Caseload", "caseload", _CLINICAL),
    ("Groups", "group_list", _CLINICAL),
    ("Clients", "client_list", _CLINICAL | {Role.ADMIN, Role.FRONT_DESK}),
    ("Users", "user_list", {Role.ADMIN}),
    ("Note templates", "template_list", _CLINICAL | {Role.ADMIN}),
    ("Audit log", "audit_log", {Role.PRIVACY}),
    ("Disclosures", "disclosure_log", {Role.PRIVACY}),
    ("Client requests", "rights_overview", _CLINICAL | {Role.PRIVACY}),
    ("Retention", "retention", {Role.PRIVACY, Role.ADMIN}),
    ("Hours", "hours_home", _CLINICAL),
    ("Licences", "hours_licence_types", {Role.ADMIN}),
    ("Practices", "operator_practices", {Role.OPERATOR}),
    ("My account", "account", set(Role)),
)


@cache
def _menu(role: str, prefix: str) -> SafeString:
    """A role's menu links, built once: every page shows them and they never change while
    the server runs (rendering them link by link cost a fifth of a note page's template)."""
    return format_html_join("\n      ", '<a href="{}">{}</a>',
                            ((reverse(name), label) for label, name, roles in _MENU
                             if role in roles))


def role_flags(request: HttpRequest) -> dict[str, object]:
    user = request.user
    role = getattr(user, "role", None) if user.is_authenticated else None
    return {
        "is_clinical": role in _CLINICAL,
        "is_admin": role == Role.ADMIN,
        "is_front_desk": role == Role.FRONT_DESK,
        "is_privacy": role == Role.PRIVACY,
        "is_operator": role == Role.OPERATOR,
        "menu": _menu(role, get_script_prefix()) if role else "",
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_MINUTES * 60,
        # The page's idle clock starts from what the server recorded, not from page load.
        "idle_seconds_left": seconds_left(request) if user.is_authenticated else None,
    }
