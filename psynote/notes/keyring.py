"""Which author's psychotherapy-note key is open here and now (ADR 0009).

A psychotherapy note opens only with its author's key, and that key only opens with the
author's own password or recovery key. Once opened, it is held for the author's signed-in
session in `lib.session_vault` (sealed in the session, its key in a cookie); for each
request, `PsychotherapyKeyMiddleware` puts it here, in a context variable, for that
request alone. Anything else (an API token, a session that was not opened with the
author's secret, a command) finds no key, and reading or writing the notes raises
`Sealed`: a 403 with a sentence, never the text.

Commands and tests that act as the author open the key for their own context with `hold`
or `opened` (psynote.testing.open_psychotherapy_notes for tests).
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from psynote.lib import session_vault

SEALED_SENTENCE = (
    "Psychotherapy notes are sealed to their author: they open only with the author's own "
    "password or recovery key, in the author's signed-in browser session. An API token, an "
    "administrator or a reset password cannot open them."
)

_EMPTY: Mapping[int, bytes] = MappingProxyType({})
_open: ContextVar[Mapping[int, bytes]] = ContextVar("open_psychotherapy_keys", default=_EMPTY)


class Sealed(PermissionDenied):
    """The author's key is not open here. A PermissionDenied, so that any path that meets
    it answers 403 (the API with this sentence as its detail), never the text."""

    def __init__(self, message: str = SEALED_SENTENCE) -> None:
        super().__init__(message)


def vault_name(user_id: Any) -> str:
    return f"psychotherapy_key:{user_id}"


def is_open(user_id: Any) -> bool:
    return user_id in _open.get()


def key_for(user_id: Any) -> bytes:
    try:
        return _open.get()[user_id]
    except KeyError:
        raise Sealed() from None


def hold(user_id: Any, key: bytes) -> None:
    """Open the author's key for the rest of this context (a command, a test)."""
    _open.set(MappingProxyType({**_open.get(), user_id: key}))


def forget_all() -> None:
    _open.set(_EMPTY)


@contextmanager
def opened(user_id: Any, key: bytes) -> Iterator[None]:
    token = _open.set(MappingProxyType({**_open.get(), user_id: key}))
    try:
        yield
    finally:
        _open.reset(token)


def remember(request: HttpRequest, user_id: Any, key: bytes) -> None:
    """Hold the opened key for the rest of the author's session (and this request)."""
    session_vault.put(request, vault_name(user_id), key)
    hold(user_id, key)


class PsychotherapyKeyMiddleware:
    """Per request: the signed-in author's key, when their session and their browser's
    cookie both hold their halves; nobody's otherwise (whatever the context held before).
    Also sends or deletes the vault cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        keys: Mapping[int, bytes] = _EMPTY
        if session_vault.COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            key = session_vault.get(request, vault_name(request.user.pk))
            if key is not None:
                keys = MappingProxyType({request.user.pk: key})
        token = _open.set(keys)
        try:
            response = self.get_response(request)
        finally:
            _open.reset(token)
        if hasattr(request, "session"):
            session_vault.finish(request, response)
        return response
