"""A PostgreSQL server switching over under a request (ADR 0018): a read is run once more on
a fresh connection; a write answers 503, is never retried and leaves nothing half-saved.

The whole failover, with a primary killed under load, is `make test-ha`
(psynote/tests/ha/test_failover.py). Here the server itself raises, at one chosen statement of
the request, the error a backend gets when it is shut down under it (SQLSTATE 57P01,
admin_shutdown), inside a savepoint so that the test's own transaction survives. SQLite has
no server to lose: on SQLite only the classification below is collected.
"""

from contextlib import contextmanager
from html import escape

import psycopg
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test import Client as HttpClient
from psycopg import errors as psycopg_errors

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.lib import database_errors
from psynote.notes.models import ProgressNote

POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
SHUTDOWN = ("DO $$ BEGIN RAISE EXCEPTION 'terminating connection due to administrator "
            "command' USING ERRCODE = 'admin_shutdown'; END $$")


def _wrapped(cause: Exception) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def test_a_lost_or_restarting_server_is_a_switch_over():
    for cause in (psycopg_errors.AdminShutdown("terminating connection"),
                  psycopg_errors.CrashShutdown("crash"),
                  psycopg_errors.CannotConnectNow("the database system is starting up"),
                  psycopg_errors.ConnectionFailure("connection failure"),
                  psycopg.OperationalError("server closed the connection unexpectedly"),
                  psycopg.InterfaceError("the connection is closed")):
        assert database_errors.problem(_wrapped(cause)) == database_errors.SWITCHING, cause
    # What was there before keeps its meaning; a bug stays a bug.
    read_only = _wrapped(psycopg_errors.ReadOnlySqlTransaction("read-only"))
    assert database_errors.problem(read_only) == database_errors.READ_ONLY
    assert database_errors.problem(_wrapped(psycopg_errors.UndefinedTable("no table"))) is None


def test_the_person_is_told_a_write_was_not_confirmed_and_a_read_to_try_again():
    write = database_errors.sentence(database_errors.SWITCHING, "POST")
    assert "switching over" in write and "not confirmed" in write
    assert "half-way" in write
    read = database_errors.sentence(database_errors.SWITCHING, "GET")
    assert "switching over" in read and "Try again" in read


@contextmanager
def _switch_over_at(statement: str, times: int = 1):
    """The server refuses, `times` times, the first statements of the request that contain
    `statement`, with admin_shutdown; yields how many refusals are left."""
    left = [times]

    def refuse(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if left[0] and statement in sql:
            left[0] -= 1
            with transaction.atomic():  # a savepoint: the test's transaction lives on
                execute(SHUTDOWN, None, False, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield left


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    api = HttpClient(headers={"Authorization": f"Bearer {token}"})
    api.get("/api/v1/clients")  # the token's last use is written now, not in the test
    return api


def _ready_draft(cast) -> ProgressNote:
    return t.make_note(t.make_session(cast.client, cast.alice))


def _views(note: ProgressNote) -> int:
    return AuditEvent.objects.filter(action="note.view", target_id=str(note.pk)).count()


if POSTGRESQL:

    def test_a_read_cut_off_by_a_switch_over_is_run_once_more(cast):
        note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
        api = _api(cast.alice)
        with _switch_over_at('FROM "notes_progressnote"') as left:
            response = api.get(f"/api/v1/notes/{note.pk}")
        assert left == [0]
        assert response.status_code == 200, response.content
        assert response.json()["signature"] is not None
        assert _views(note) == 1  # the failed attempt recorded nothing

    def test_a_read_cut_off_twice_answers_503_and_asks_to_try_again(cast):
        note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
        api = _api(cast.alice)
        with _switch_over_at('FROM "notes_progressnote"', times=3) as left:
            response = api.get(f"/api/v1/notes/{note.pk}")
        assert left == [1]  # the first attempt and one retry, no more
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json()["detail"] == database_errors.sentence(
            database_errors.SWITCHING, "GET")
        assert _views(note) == 0

    def test_a_sign_cut_off_answers_503_is_not_retried_and_signs_nothing(cast):
        note = _ready_draft(cast)
        api = _api(cast.alice)
        events = AuditEvent.objects.count()
        # The note.sign event is the signature's last write: everything before it is undone.
        with _switch_over_at('INSERT INTO "audit_auditevent"', times=2) as left:
            response = api.post(f"/api/v1/notes/{note.pk}/sign", {},
                                content_type="application/json")
        assert left == [1]  # a write is never run twice
        assert response.status_code == 503, response.content
        assert response.json() == {"detail": database_errors.sentence(
            database_errors.SWITCHING, "POST"), "errors": []}
        assert not ProgressNote.objects.get(pk=note.pk).is_signed
        assert AuditEvent.objects.count() == events
        assert api.post(f"/api/v1/notes/{note.pk}/sign", {},
                        content_type="application/json").status_code == 200

    def test_signing_on_the_page_cut_off_shows_the_sentence(cast):
        note = _ready_draft(cast)
        browser = HttpClient()
        browser.force_login(cast.alice)
        browser.get("/caseload/")  # the session's bookkeeping is written now
        events = AuditEvent.objects.count()
        with _switch_over_at('INSERT INTO "audit_auditevent"'):
            response = browser.post(f"/notes/{note.pk}/sign/", {})
        assert response.status_code == 503
        sentence = database_errors.sentence(database_errors.SWITCHING, "POST")
        assert escape(sentence) in response.content.decode()
        assert not ProgressNote.objects.get(pk=note.pk).is_signed
        assert AuditEvent.objects.count() == events
