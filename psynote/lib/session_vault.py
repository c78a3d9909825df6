"""Secrets held for a signed-in session without being stored in clear on the server.

The secret is sealed (AES-256-GCM) and the ciphertext kept in the server-side session,
which lives in the database; the random key that opens it lives only in the browser, in
an HttpOnly, SameSite=Strict cookie (Secure when the site is served over HTTPS). A copy of
the database (sessions included) does not open it, nor does the cookie without the
session. Logging out deletes the session, and with it the secret; the cookie is then
deleted on the next answer that sees it.

One cookie key per session: every secret of the session is sealed under it. The session
stores a short fingerprint of that key (the first 16 bytes of its SHA-256), so a cookie
that does not belong to the session is recognised without trying to decrypt.

SameSite=Strict means the browser does not send the cookie on the first request of a
visit that comes from another site (a link in an e-mail): that one page sees no secret,
the next one does.
"""

import base64
import binascii
import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from psynote.lib import crypto

COOKIE_NAME = "psynote_vault"
SESSION_KEY = "_vault"
_NEW_KEY = "_vault_new_key"  # request attribute: a key made during this request


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:32]


def _aad(name: str) -> bytes:
    return crypto.aad_for("session_vault", name, "secret")


def _encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _decode(value: str) -> bytes | None:
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 else None


def _cookie_key(request: HttpRequest) -> bytes | None:
    made = getattr(request, _NEW_KEY, None)
    if made is not None:
        return made
    value = request.COOKIES.get(COOKIE_NAME)
    return _decode(value) if value else None


def seal_into(session: Any, name: str, secret: bytes, key: bytes | None = None) -> bytes:
    """Put `secret` into `session` (a SessionStore) under `key`, or a new key when the
    session holds none made with it. Returns the key the cookie must carry."""
    vault = session.get(SESSION_KEY)
    if key is None or not vault or vault.get("kid") != _fingerprint(key):
        key = crypto.new_key()
        vault = {"kid": _fingerprint(key), "items": {}}
    items = dict(vault["items"])
    items[name] = base64.b64encode(crypto.seal(key, secret, _aad(name))).decode()
    session[SESSION_KEY] = {"kid": vault["kid"], "items": items}
    return key


def cookie_value(key: bytes) -> str:
    return _encode(key)


def put(request: HttpRequest, name: str, secret: bytes) -> None:
    """Keep `secret` for the rest of this session; `finish` sends the cookie."""
    current = _cookie_key(request)
    key = seal_into(request.session, name, secret, current)
    if key != current:
        setattr(request, _NEW_KEY, key)


def get(request: HttpRequest, name: str) -> bytes | None:
    """The secret, when both this session and this browser's cookie hold their halves."""
    vault = request.session.get(SESSION_KEY)
    if not vault or name not in vault.get("items", {}):
        return None
    key = _cookie_key(request)
    if key is None or vault.get("kid") != _fingerprint(key):
        return None
    try:
        blob = base64.b64decode(vault["items"][name])
        return crypto.open_sealed(key, blob, _aad(name))
    except (binascii.Error, ValueError, crypto.DecryptionError):
        return None


def drop(request: HttpRequest, name: str) -> None:
    vault = request.session.get(SESSION_KEY)
    if vault and name in vault.get("items", {}):
        items = {k: v for k, v in vault["items"].items() if k != name}
        request.session[SESSION_KEY] = {"kid": vault["kid"], "items": items}


def finish(request: HttpRequest, response: HttpResponse) -> None:
    """Send a new cookie key, or delete a cookie whose session no longer holds a vault."""
    made = getattr(request, _NEW_KEY, None)
    if made is not None and request.session.get(SESSION_KEY):
        response.set_cookie(
            COOKIE_NAME,
            _encode(made),
            httponly=True,
            secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
            samesite="Strict",
            path="/",
        )
    elif COOKIE_NAME in request.COOKIES and not request.session.get(SESSION_KEY):
        response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")
