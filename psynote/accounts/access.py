"""Who may open which non-clinical page, and whose accounts and tokens they may touch.

Clinical objects have their own access functions (clients.access, notes.access); this
module covers roles: the admin's user pages, the privacy officer's audit pages, and each
user's own API tokens and signed-in sessions. A refusal is a 404 (no hint that the page
or row exists) and an `access.denied` audit event, like everywhere else.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest

from psynote.accounts.models import ApiToken, Role, SignedInSession, User
from psynote.audit import log

View = TypeVar("View", bound=Callable[..., Any])


def deny(user: Any, target_type: str, target_id: object, need: str) -> Http404:
    """Record the refusal and return the 404 to raise."""
    log.record_by(
        user,
        "access.denied",
        target_type=target_type,
        target_id=str(target_id)[:64],
        detail={"need": need},
    )
    return Http404("Not found")


def has_role(user: Any, *roles: str) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.practice_id and user.role in roles
    )


def is_operator(user: Any) -> bool:
    """The installation's operator (ADR 0017): signed in, active, in no practice."""
    return bool(
        user.is_authenticated and user.is_active and user.role == Role.OPERATOR
        and user.practice_id is None
    )


def require_operator(view: View) -> View:
    """View decorator for the operator's pages: logged in, and the operator (else 404)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not is_operator(request.user):
            raise deny(request.user, "page", request.path, "role:operator")
        return view(request, *args, **kwargs)

    return login_required(wrapped)  # type: ignore[return-value]


def check_role(request: HttpRequest, *roles: str) -> None:
    if not has_role(request.user, *roles):
        raise deny(request.user, "page", request.path, "role:" + "|".join(roles))


def require_role(*roles: str) -> Callable[[View], View]:
    """View decorator: logged in (else the login page), and one of `roles` (else 404)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check_role(request, *roles)
            return view(request, *args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def get_practice_user_for(admin: Any, user_id: object) -> User:
    """A user of the admin's own practice; anyone else's is a 404."""
    try:
        return User.objects.get(
            pk=user_id, practice_id=admin.practice_id
        )
    except (User.DoesNotExist, ValueError, TypeError):
        raise deny(admin, "user", user_id, "manage_users") from None


def get_token_for(user: Any, token_id: object) -> ApiToken:
    """One of the user's own API tokens; nobody touches another person's."""
    try:
        return ApiToken.objects.get(pk=token_id, user_id=user.pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise deny(user, "api_token", token_id, "own_token") from None


def get_signed_in_session_for(user: Any, record_id: object) -> SignedInSession:
    """One of the user's own signed-in sessions; nobody ends another person's one by one
    (an admin ends all of a user's at once, on the user's page)."""
    try:
        return SignedInSession.objects.get(pk=record_id, user_id=user.pk)
    except (SignedInSession.DoesNotExist, ValueError, TypeError):
        raise deny(user, "session", record_id, "own_session") from None
