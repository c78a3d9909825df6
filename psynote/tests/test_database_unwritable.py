"""A database that cannot be written (disk full, read-only): a 503 with one sentence on the
page and in the API, never a 500, and nothing saved half-way (ADR 0012).

The disk is filled with SQLite's `max_page_count` pragma (the database may not grow by a
page); read-only is SQLite's `query_only` pragma, or a read-only transaction on PostgreSQL.
PostgreSQL has no per-connection way to fill the disk, so "full" runs on SQLite only; the
PostgreSQL disk_full SQLSTATE is checked on psycopg's own exception."""

import sqlite3
from contextlib import contextmanager
from html import escape

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test import Client as HttpClient
from psycopg import errors as psycopg_errors

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.lib import database_errors
from psynote.notes.models import ProgressNote

SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
KINDS = ["read-only", "full"] if SQLITE else ["read-only"]
# Signing writes a few small rows, which may all fit in pages the database already has, so a
# capped page count does not reliably refuse it: signing is checked read-only; "full" is
# checked on the writes that must grow the database (a long section, LONG_TEXT).
SIGNING = ["read-only"]
SENTENCE_START = "The practice's database cannot be written"
# Larger than any free space left in a page: saving it must grow the database.
LONG_TEXT = "A fictional week, described at length. " * 400


@contextmanager
def unwritable(kind: str):
    """For one request, inside a savepoint: a statement refused outside any atomic block
    (autocommit, in production) then rolls back this, not the test's own transaction."""
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection  # pragmas on the driver: Django's cursor would refuse
        if not SQLITE:                # them once the savepoint is marked for rollback
            with raw.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")  # undone with the savepoint
            yield
            return
        if kind == "full":
            pages = raw.execute("PRAGMA page_count").fetchone()[0]
            assert raw.execute("PRAGMA freelist_count").fetchone()[0] == 0  # no page to fill
            raw.execute(f"PRAGMA max_page_count = {pages}")
        else:
            raw.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            raw.execute("PRAGMA query_only = OFF")
            raw.execute("PRAGMA max_page_count = 4294967294")


def _draft(cast) -> ProgressNote:
    return t.make_note(t.make_session(cast.client, cast.alice))


def _browser(user) -> HttpClient:
    """Signed in, with its first request made: the once-a-minute session bookkeeping
    (accounts.sessions.touch) is written now, not inside the test."""
    browser = HttpClient()
    browser.force_login(user)
    browser.get("/caseload/")
    return browser


def _events() -> int:
    return AuditEvent.objects.count()


def _expected(kind: str) -> str:
    return database_errors.sentence(database_errors.FULL if kind == "full"
                                    else database_errors.READ_ONLY)


def _same(note: ProgressNote) -> bool:
    fresh = ProgressNote.objects.get(pk=note.pk)
    return not fresh.is_signed and fresh.content() == note.content()


@pytest.mark.parametrize("kind", SIGNING)
def test_signing_on_the_page_answers_503_and_signs_nothing(cast, kind):
    note, events = _draft(cast), None
    browser = _browser(cast.alice)
    events = _events()
    with unwritable(kind):
        response = browser.post(f"/notes/{note.pk}/sign/", {})
    assert response.status_code == 503
    page = response.content.decode()
    assert escape(_expected(kind)) in page
    assert "Nothing was saved" in page and "Traceback" not in page
    assert response["Retry-After"]
    assert _same(note) and _events() == events
    assert not AuditEvent.objects.filter(action="note.sign").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_autosave_answers_503_in_json_and_keeps_the_draft(cast, kind):
    note = _draft(cast)
    browser = _browser(cast.alice)
    events = _events()
    with unwritable(kind):
        response = browser.post(f"/notes/{note.pk}/autosave/",
                                {"section_subjective": LONG_TEXT})
    assert response.status_code == 503
    assert response.json()["error"] == _expected(kind)
    assert _same(note) and _events() == events


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_answers_503_with_its_error_body(cast, kind):
    note = _draft(cast)
    _, token = ApiToken.issue(user=cast.alice, name="test")
    api = HttpClient(headers={"Authorization": f"Bearer {token}"})
    api.get("/api/v1/clients")  # the token's last use is written now, not in the test
    events = _events()
    with unwritable(kind):
        patched = api.patch(f"/api/v1/notes/{note.pk}", {"sections": {"subjective": LONG_TEXT}},
                            content_type="application/json")
    responses = [patched]
    if kind in SIGNING:
        with unwritable(kind):
            responses.append(api.post(f"/api/v1/notes/{note.pk}/sign", {},
                                      content_type="application/json"))
    for response in responses:
        assert response.status_code == 503, response.content
        assert response.json() == {"detail": _expected(kind), "errors": []}
    assert _same(note) and _events() == events


def test_an_audited_read_is_refused_whole_when_nothing_can_be_written(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    browser = _browser(cast.alice)
    browser.get(f"/notes/{note.pk}/")
    events = _events()
    with unwritable("read-only"):
        # Opening a note writes its note.view event: no note shown without its record.
        response = browser.get(f"/notes/{note.pk}/")
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
    assert _events() == events


def test_a_write_made_by_a_middleware_answers_503_too(cast):
    browser = HttpClient(raise_request_exception=False)
    browser.force_login(cast.alice)
    with unwritable("read-only"):
        # The first request of a session notes it as seen: a middleware's write.
        response = browser.get("/caseload/")
    assert response.status_code == 503
    assert escape(database_errors.sentence(database_errors.READ_ONLY)) in response.content.decode()


def test_a_real_sqlite_full_error_is_read_as_a_full_disk(tmp_path):
    raw = sqlite3.connect(tmp_path / "tiny.sqlite3")
    raw.execute("CREATE TABLE t (x BLOB)")
    raw.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as caught:
        raw.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    raw.close()
    wrapped = OperationalError(str(caught.value))
    wrapped.__cause__ = caught.value
    assert database_errors.problem(wrapped) == database_errors.FULL


def test_postgresql_disk_full_and_read_only_states_are_recognised():
    for cause, kind in ((psycopg_errors.DiskFull("no space"), database_errors.FULL),
                        (psycopg_errors.ReadOnlySqlTransaction("ro"), database_errors.READ_ONLY)):
        wrapped = OperationalError(str(cause))
        wrapped.__cause__ = cause
        assert database_errors.problem(wrapped) == kind


def test_any_other_database_error_stays_a_500(cast):
    wrapped = OperationalError("no such table: fictional")
    wrapped.__cause__ = sqlite3.OperationalError("no such table: fictional")
    assert database_errors.problem(wrapped) is None
    assert database_errors.problem(ValueError("not a database error")) is None
