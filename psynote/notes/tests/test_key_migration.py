"""Migration notes/0003 on an existing install: a psychotherapy-note key wrapped by the
master key alone is kept, with the hash of the password its author has at the upgrade;
the author's next sign-in seals it to them, and a password set after the upgrade (an
admin's reset) does not open it (ADR 0009)."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from psynote import testing as t
from psynote.lib import crypto
from psynote.notes import psychotherapy_keys
from psynote.notes.models import PsychotherapyKey
from psynote.notes.tests.test_encryption_at_rest import (  # noqa: F401 (fixtures)
    _triggers_back_after_flush,
    committed_db,
)

BEFORE = [("notes", "0002_signed_content_triggers")]
# 0003 and every later notes migration, so that the test leaves the schema as it found it.
AFTER = [("notes", "__latest__")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if targets == AFTER:
        targets = executor.loader.graph.leaf_nodes()  # apps depending on notes came down too
    executor.migrate(targets)


@pytest.mark.usefixtures("committed_db")
def test_an_old_key_survives_the_migration_and_is_sealed_at_the_next_sign_in():
    practice = t.make_practice()
    alice = t.make_user(practice, "alice")
    bob = t.make_user(practice, "bob")
    key = crypto.new_key()
    _migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        OldKey = old.get_model("notes", "PsychotherapyKey")
        for user in (alice, bob):
            aad = crypto.aad_for("notes_psychotherapykey", user.pk, "data_key")
            OldKey.objects.create(user_id=user.pk, wrapped_key=crypto.wrap(key, aad))
    finally:
        _migrate(AFTER)

    row = PsychotherapyKey.objects.get(user=alice)
    assert row.legacy_wrapped and row.legacy_password_hash == alice.password
    assert not row.password_wrapped and row.sealed_since is None

    # alice signs in: sealed to her password, the master-key-only wrapping is gone.
    assert psychotherapy_keys.unlock(user=alice, password=t.PASSWORD) == key
    row.refresh_from_db()
    assert not row.legacy_wrapped and not row.legacy_password_hash
    assert row.open_with_password(t.PASSWORD) == key

    # bob's password is reset by an admin after the upgrade: that password does not open it.
    bob.password = make_password("admin-set-after-upgrade-1")
    bob.save(update_fields=["password"])
    assert psychotherapy_keys.unlock(user=bob, password="admin-set-after-upgrade-1") is None
    assert psychotherapy_keys.unlock(user=bob, password=t.PASSWORD) == key
