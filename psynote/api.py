"""The JSON API under /api/v1/: one NinjaAPI, how callers authenticate, and error bodies.

The routers live beside each noun (`clients/api.py`, `visits/api.py`, `notes/api.py`) and
call the same access functions and actions as the pages; `api_urls.py` mounts them here.

Authentication, tried in this order (ADR 0004):

1. A personal API token, `Authorization: Bearer psn_...`, looked up by its SHA-256 in
   `accounts.ApiToken`. An Authorization header that is present but not a valid, active
   token of an active user is refused at once with 401 and audited as `api.auth_failed`
   (never with the token itself); it does not fall back to the session. Tokens expire,
   may be read-only (403 on writes), and failed tries are throttled per address (429):
   ADR 0007.
2. The browser's Django session. Unsafe methods must carry the CSRF token, as on the
   pages: a session cookie alone is an ambient credential another site could ride.

Errors are always JSON `{"detail": "...", "errors": [...]}`: 400 invalid input (including
the schema errors ninja would answer with 422), 401 not authenticated, 403 CSRF or role
refusals, 404 not found *or* not permitted (one body, no hint which), 409 a signed record
would change. The interactive docs page (ninja's /docs) is disabled (`docs_url=None`): it
loads Swagger UI from a CDN, which our CSP (`default-src 'none'`) and offline installs
forbid. The schema itself is served at /api/v1/openapi.json.
"""

import json
import logging
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import ConfigDict, Field

from psynote.accounts import tokens
from psynote.lib import database_errors
from psynote.lib.immutable import SignedRecordChange

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MAX_LIMIT = 200
# Bounds that keep numbers inside what every database accepts (SQLite: signed 64 bits).
MAX_ID = 2**53
# A user or row number given in a body: bounded so a huge one is a 400, not a driver error.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- request parsing --------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_text(value: Any) -> None:
    """NUL characters and lone surrogates are valid in JSON text but not storable in
    PostgreSQL or encodable as UTF-8: refuse them at the door, everywhere in the body."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body, parse_constant=_refuse_constant)
        _check_text(data)
        return data


# --- authentication ---------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """Personal API tokens (checked by accounts.tokens: expiry, revocation, read-only scope,
    per-address throttling). Sets request.user so the access functions see its user."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is None:
            return None  # no claim made: let the session try
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self._refused(tokens.refuse_malformed())
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            return tokens.authenticate(request, token)
        except tokens.TokenRefused as refusal:
            self._refused(refusal)

    @staticmethod
    def _refused(refusal: tokens.TokenRefused) -> None:
        if refusal.status == 401:
            raise AuthenticationError(401, str(refusal)) from None
        raise HttpError(refusal.status, str(refusal)) from None


class SessionAuth(APIKeyCookie):
    """The browser's login session, with Django's CSRF check on unsafe methods.

    Unlike ninja's `django_auth`, the CSRF check runs only once we know there *is* a
    session, so an anonymous caller gets a plain 401 rather than a CSRF complaint."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def __call__(self, request: HttpRequest) -> Any:
        return self.authenticate(request, None)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(
                403,
                "CSRF check failed: send the X-CSRFToken header with the "
                "value of the csrftoken cookie",
            )
        return user


# --- shared schemas ---------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    errors: list[str] = []


class InputSchema(Schema):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class PageOut(Schema):
    count: int
    limit: int
    offset: int


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_ID)


def page(queryset: QuerySet, params: PageParams) -> dict[str, Any]:
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(queryset[params.offset : params.offset + params.limit]),
    }


class Conflict(HttpError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class Forbidden(HttpError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


# --- error bodies -----------------------------------------------------------------------


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[str] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _schema_error_text(error: dict[str, Any]) -> str:
    # ninja prefixes where the value came from; the caller only needs the field's path.
    loc = [str(part) for part in error.get("loc", ())]
    while loc and loc[0] in ("body", "query", "path", "payload", "params", "changes"):
        loc = loc[1:]
    where = ".".join(loc) or "request body"
    return f"{where}: {error.get('msg', 'invalid')}"


def django_messages(exc: DjangoValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            message if field == "__all__" else f"{field}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)


def _on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    errors = [_schema_error_text(error) for error in exc.errors]
    return _error(request, 400, "; ".join(errors)[:1000] or "invalid request", errors)


def _on_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = django_messages(exc)
    return _error(request, 400, "; ".join(errors)[:1000] or "invalid request", errors)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        detail = (
            str(exc)
            if str(exc) != "Unauthorized"
            else "authentication required: log in, or send Authorization: Bearer <token>"
        )
        return _error(request, 401, detail)
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, ValueError | RecursionError):
        # The body did not parse; say why without echoing it back.
        if isinstance(cause, json.JSONDecodeError | RecursionError):
            reason = "nested too deeply" if isinstance(cause, RecursionError) else str(cause)
            return _error(request, 400, "the request body is not valid JSON", [reason])
        return _error(request, 400, "the request body was refused", [str(cause)])
    return _error(request, exc.status_code, str(exc))


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "Not found")


def _on_signed(request: HttpRequest, exc: SignedRecordChange) -> HttpResponse:
    return _error(request, 409, str(exc))


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "Forbidden")


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "the request body is too large")
    return _error(request, 400, "the request was refused as malformed")


def _on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    # A disk full or read-only: 503, nothing saved (ADR 0012). Anything else is a bug.
    return database_errors.api_response(request, exc) or _on_unexpected(request, exc)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return _error(request, 500, "internal error; the details are in the server log")


api = NinjaAPI(
    title="Psynote API",
    version="1",
    description="Clients, sessions and progress notes of one practice. Authenticate with a "
    "personal API token (`Authorization: Bearer psn_...`) or a browser session "
    "(with CSRF). Psychotherapy notes are visible to their author only, and their text "
    "opens only in the author's signed-in browser session: with an API token, reading or "
    "writing one answers 403.",
    urls_namespace="api",
    docs_url=None,  # Swagger UI comes from a CDN: refused by our CSP and offline installs
    auth=[TokenAuth(), SessionAuth()],
    parser=StrictJsonParser(),
)
api.add_exception_handler(Exception, _on_unexpected)
api.add_exception_handler(SchemaValidationError, _on_schema_error)
api.add_exception_handler(DjangoValidationError, _on_validation_error)
api.add_exception_handler(HttpError, _on_http_error)
api.add_exception_handler(Http404, _on_not_found)
api.add_exception_handler(SignedRecordChange, _on_signed)
api.add_exception_handler(PermissionDenied, _on_permission_denied)
api.add_exception_handler(SuspiciousOperation, _on_suspicious)
api.add_exception_handler(DatabaseError, _on_database_error)
