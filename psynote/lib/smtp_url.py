"""PSYNOTE_SMTP_URL → Django's EMAIL_* settings (docs/operations.md#email).

    smtp://[user[:password]@]host[:port]            plain SMTP (port 25), STARTTLS if
                                                    ?starttls=1
    smtp+starttls://[user[:password]@]host[:port]   STARTTLS (port 587)
    smtps://[user[:password]@]host[:port]           TLS from the first byte (port 465)

User and password are percent-decoded, so a password may hold any character. A URL that
is not one of these stops start-up with the reason (ImproperlyConfigured), like every other
PSYNOTE_* setting.
"""

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def parse(url: str) -> dict[str, Any]:
    def refuse(reason: str) -> ImproperlyConfigured:
        # Never echo the URL: it may hold the password.
        return ImproperlyConfigured(f"PSYNOTE_SMTP_URL: {reason}")

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise refuse(f"not a URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in _PORTS:
        raise refuse("the scheme must be smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise refuse("no host, e.g. smtp://mail.example.org:587")
    query = parse_qs(parts.query)
    starttls = scheme == "smtp+starttls" or query.get("starttls", ["0"])[0] in ("1", "true")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or _PORTS[scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": scheme == "smtps",
    }


def configured() -> bool:
    """The practice set up outgoing email: PSYNOTE_SMTP_URL, or Django's own EMAIL_HOST
    changed from its default (a deployment's own settings module). Until then nothing is
    sent and the page says how to set it up."""
    from django.conf import settings

    return bool(getattr(settings, "SMTP_URL", "")) or settings.EMAIL_HOST not in ("", "localhost")
