from django.conf import settings
from django.http import HttpRequest

from psynote.accounts.idle import seconds_left
from psynote.accounts.models import Role


def role_flags(request: HttpRequest) -> dict[str, object]:
    user = request.user
    role = getattr(user, "role", None) if user.is_authenticated else None
    return {
        "is_clinical": role in (Role.CLINICIAN, Role.SUPERVISOR),
        "is_admin": role == Role.ADMIN,
        "is_front_desk": role == Role.FRONT_DESK,
        "is_privacy": role == Role.PRIVACY,
        "is_operator": role == Role.OPERATOR,
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_MINUTES * 60,
        # The page's idle clock starts from what the server recorded, not from page load.
        "idle_seconds_left": seconds_left(request) if user.is_authenticated else None,
    }
