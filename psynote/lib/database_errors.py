"""A database that cannot be written answers 503 with one plain sentence, never a 500.

A full disk, a read-only data folder or database file, a disk that reports I/O errors, or a
write lock not obtained within the busy timeout: the action's transaction has already been
rolled back when the error reaches us (every multi-model write is one `atomic` block, audit
event included), so nothing was saved half-way, and the person must be told exactly that.
ADR 0012 (docs/adr/0012-embedded-database-durability.md) explains the settings behind it.

A high-availability pair switching over (ADR 0018, docs/adr/0018-postgresql-high-availability.md)
is the fifth case: the connection to the lost primary breaks, or no server takes writes yet.
A write in flight fails as one transaction, never half-way; a request that only reads is run
once more on a fresh connection (`DatabaseUnwritableMiddleware.__call__`), which libpq opens
on whichever server now takes writes (the multi-host DATABASE_URL, psynote/lib/database_url.py).

Three doors lead here: `DatabaseUnwritableMiddleware.process_exception` for the pages,
`api_response` for the JSON API (registered in psynote/api.py) and `server_error`, the
project's handler500, for a write made by a middleware (a session saved on the way out)
that no view-level handler sees.
"""

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.db import Error, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

FULL, READ_ONLY, IO, BUSY, SWITCHING = "full", "read-only", "io", "busy", "switching"
# Methods that change nothing: retried once when the connection broke under them.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# SQLite primary result codes (https://www.sqlite.org/rescode.html); the extended code's
# low byte is the primary one.
_SQLITE = {13: FULL, 8: READ_ONLY, 10: IO, 14: IO, 5: BUSY, 6: BUSY}
# PostgreSQL SQLSTATEs (Appendix A of its manual): disk_full, read_only_sql_transaction,
# io_error, lock_not_available.
_POSTGRESQL = {"53100": FULL, "25006": READ_ONLY, "58030": IO, "55P03": BUSY}
# The server went away or is not accepting connections yet: admin_shutdown, crash_shutdown,
# cannot_connect_now, and class 08 (connection exception).
_SWITCHING_SQLSTATES = {"57P01", "57P02", "57P03"}

_SENTENCES = {
    FULL: "The practice's database cannot be written: the disk is full. "
          "Nothing was saved; tell your administrator.",
    READ_ONLY: "The practice's database cannot be written: its data folder is read-only. "
               "Nothing was saved; tell your administrator.",
    IO: "The practice's database cannot be written: the disk reported an error. "
        "Nothing was saved; tell your administrator.",
    BUSY: "The practice's database is busy with other changes. Nothing was saved; "
          "try again in a moment.",
    # A commit cut off by the primary's loss may or may not have reached the standby before
    # it: the person is told it was not confirmed, and that it is never half-saved.
    SWITCHING: "The practice's database is switching over to its standby server, so this "
               "was not confirmed. Nothing is ever saved half-way: open the record again "
               "to see whether it went through, then try again in a moment.",
}
_SWITCHING_READ = ("The practice's database is switching over to its standby server. "
                   "Try again in a moment.")


def problem(error: BaseException | None) -> str | None:
    """FULL, READ_ONLY, IO, BUSY or SWITCHING when `error` is a database refusing a write or
    gone from under the connection, else None (a bug stays a bug: logged, answered 500)."""
    if not isinstance(error, Error):
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
    if sqlstate in _SWITCHING_SQLSTATES or (sqlstate or "").startswith("08"):
        return SWITCHING
    if sqlstate is None and _connection_lost(cause):
        return SWITCHING
    return _POSTGRESQL.get(sqlstate or "")


def _connection_lost(cause: BaseException | None) -> bool:
    """psycopg's errors without a SQLSTATE: the server closed the connection (killed), the
    connection is already closed, or no host in the list took it (connection refused)."""
    try:
        import psycopg
    except ImportError:  # SQLite-only installation
        return False
    return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError)


def sentence(kind: str, method: str = "POST") -> str:
    if kind == SWITCHING and method in SAFE_METHODS:
        return _SWITCHING_READ
    return _SENTENCES[kind]


def _headers(kind: str) -> dict[str, str]:
    return {"Retry-After": "5" if kind in (BUSY, SWITCHING) else "60"}


def _log(request: HttpRequest, kind: str, error: BaseException) -> None:
    # The operator needs the cause; the person at the screen gets one sentence.
    logger.error("database %s on %s %s: %s", kind, request.method, request.path, error)


def wants_json(request: HttpRequest) -> bool:
    return request.path.endswith("/autosave/") or "application/json" in request.headers.get(
        "Accept", "")


def response(request: HttpRequest, kind: str) -> HttpResponse:
    text = sentence(kind, request.method or "GET")
    answer: HttpResponse
    if request.path.startswith("/api/"):  # the API's one error body (ADR 0004)
        answer = JsonResponse({"detail": text, "errors": []}, status=503,
                              headers=_headers(kind))
    elif wants_json(request):  # what the editor's autosave reads
        answer = JsonResponse({"error": text}, status=503, headers=_headers(kind))
    else:
        # A page of its own, not base.html: that one reads the session and the user, and
        # the database may not even open.
        page = render_to_string("database_unwritable.html", {"sentence": text})
        answer = HttpResponse(page, status=503, headers=_headers(kind))
    answer.database_problem = kind  # type: ignore[attr-defined]  # read by the middleware
    return answer


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
        answer = self.get_response(request)
        if (getattr(answer, "database_problem", None) == SWITCHING
                and request.method in SAFE_METHODS):
            # The connection broke under a read: drop it, and run the request once more on
            # a fresh one, which libpq opens on the server that now takes writes.
            logger.warning("database switching over: %s %s retried once on a new connection",
                           request.method, request.path)
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:  # never under someone's transaction
                    connection.close()
            answer = self.get_response(request)
        return answer

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
