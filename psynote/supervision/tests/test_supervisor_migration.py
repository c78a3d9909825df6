"""Migrations supervision/0002 and accounts/0004 on an existing install: each user's single
`User.supervisor` becomes a supervision in review mode (what it allowed: reading), and the
column goes; nothing else about the users changes."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from psynote import testing as t
from psynote.accounts.models import Role
from psynote.notes.tests.test_encryption_at_rest import (  # noqa: F401 (fixtures)
    _triggers_back_after_flush,
    committed_db,
)
from psynote.supervision.access import is_supervisor_of, mode_for
from psynote.supervision.models import Mode, Supervision

BEFORE = [("accounts", "0003_practice_npi_address"), ("supervision", None)]
AFTER = [("accounts", "0004_user_supervisor_moved_to_supervision")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.usefixtures("committed_db")
def test_each_supervisor_becomes_a_review_mode_supervision():
    practice = t.make_practice()
    sam = t.make_user(practice, "sam", Role.SUPERVISOR)
    sue = t.make_user(practice, "sue")
    alice = t.make_user(practice, "alice")
    _migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
        OldUser = old.get_model("accounts", "User")
        OldUser.objects.filter(pk=sue.pk).update(supervisor_id=sam.pk)
    finally:
        _migrate(AFTER)
    row = Supervision.objects.get()
    assert (row.supervisor_id, row.supervisee_id, row.mode) == (sam.pk, sue.pk, Mode.REVIEW)
    assert is_supervisor_of(sam, sue) and not is_supervisor_of(sam, alice)
    assert mode_for(sue) == Mode.REVIEW and mode_for(alice) is None
