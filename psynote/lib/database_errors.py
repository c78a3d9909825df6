"""A database that cannot be written answers 503 with one plain sentence, never a 500.

A full disk, a read-only data folder or database file, a disk that reports I/O errors, or a
write lock not obtained within the busy timeout: the action's transaction has already been
rolled back when the error reaches us (every multi-model write is one `atomic` block, audit
event included), so nothing was saved half-way, and the person must be told exactly that.
ADR 0012 (docs/adr/0012-embedded-database-durability.md) explains the settings behind it.

Three doors lead here: `DatabaseUnwritableMiddleware.process_exception` for the pages,
`api_response` for the JSON API (registered in psynote/api.py) and `server_error`, the
project's handler500, for a write made by a middleware (a session saved on the way out)
that no view-level handler sees.
"""

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

FULL, READ_ONLY, IO, BUSY = "full", "read-only", "io", "busy"

# SQLite primary result codes (https://www.sqlite.org/rescode.html); the extended code's
# low byte is the primary one.
_SQLITE = {13: FULL, 8: READ_ONLY, 10: IO, 14: IO, 5: BUSY, 6: BUSY}
# PostgreSQL SQLSTATEs (Appendix A of its manual): disk_full, read_only_sql_transaction,
# io_error, lock_not_available.
_POSTGRESQL = {"53100": FULL, "25006": READ_ONLY, "58030": IO, "55P03": BUSY}

_SENTENCES = {
    FULL: "The practice's database cannot be written: the disk is full. "
          "Nothing was saved; tell your administrator.",
    READ_ONLY: "The practice's database cannot be written: its data folder is read-only. "
               "Nothing was saved; tell your administrator.",
    IO: "The practice's database cannot be written: the disk reported an error. "
        "Nothing was saved; tell your administrator.",
    BUSY: "The practice's database is busy with other changes. Nothing was saved; "
          "try again in a moment.",
}


def problem(error: BaseException | None) -> str | None:
    """FULL, READ_ONLY, IO or BUSY when `error` is a database refusing a write, else None
    (a bug stays a bug: it is logged and answered as a 500)."""
    if not isinstance(error, DatabaseError):
        return None
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE.get(code & 0xFF)
        text = str(cause)  # SQLite before Python 3.11 exposed no code: match its wording
        if "disk is full" in text:
            return FULL
        if "readonly" in text:
            return READ_ONLY
        if "locked" in text:
            return BUSY
        return None
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return _POSTGRESQL.get(sqlstate or "")


def sentence(kind: str) -> str:
    return _SENTENCES[kind]


def _headers(kind: str) -> dict[str, str]:
    return {"Retry-After": "5" if kind == BUSY else "60"}


def _log(request: HttpRequest, kind: str, error: BaseException) -> None:
    # The operator needs the cause; the person at the screen gets one sentence.
    logger.error("database %s on %s %s: %s", kind, request.method, request.path, error)


def wants_json(request: HttpRequest) -> bool:
    return request.path.endswith("/autosave/") or "application/json" in request.headers.get(
        "Accept", "")


def response(request: HttpRequest, kind: str) -> HttpResponse:
    text = sentence(kind)
    if request.path.startswith("/api/"):  # the API's one error body (ADR 0004)
        return JsonResponse({"detail": text, "errors": []}, status=503, headers=_headers(kind))
    if wants_json(request):  # what the editor's autosave reads
        return JsonResponse({"error": text}, status=503, headers=_headers(kind))
    # A page of its own, not base.html: that one reads the session and the user, and the
    # database may not even open.
    page = render_to_string("database_unwritable.html", {"sentence": text})
    return HttpResponse(page, status=503, headers=_headers(kind))


def api_response(request: HttpRequest, error: Exception) -> HttpResponse | None:
    """For the API's exception handler: the 503, or None for any other database error."""
    kind = problem(error)
    if kind is None:
        return None
    _log(request, kind, error)
    return response(request, kind)


class DatabaseUnwritableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        kind = problem(error)
        if kind is None:
            return None
        _log(request, kind, error)
        return response(request, kind)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() still
    holds it; a database refusing a write outside any view gets the 503 too."""
    error = sys.exc_info()[1]
    kind = problem(error)
    if kind is not None and error is not None:
        return response(request, kind)
    return django_server_error(request, template_name)
