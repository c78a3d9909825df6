"""Heavy reads go to a streaming replica only when asked, never after a write (lib/replica.py).

These run in every configuration and assert what it must do there: on SQLite and on a lone
PostgreSQL (no PSYNOTE_REPLICA_DATABASE_URL) everything reads the primary; under
`scripts/with-replica` (a real `pg_basebackup -R` standby) the marked reads reach the standby,
which `pg_is_in_recovery()` proves.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.clients.models import Client
from psynote.lib import pooling, replica
from psynote.lib.replica import replica_reads
from psynote.lib.tests import triggers

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "psynote", "CONN_MAX_AGE": 600}
REPLICA = replica.configured()
# Transactional: a replica sees only what the primary committed.
committed = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture(scope="module")
def _triggers_back_after_the_module(django_db_blocker):
    """Torn down after every test's flush: the refuse-change triggers come back once."""
    yield (statements := [])
    with django_db_blocker.unblock():
        triggers.restore(list(dict.fromkeys(statements)))


@pytest.fixture
def committed_db(_triggers_back_after_the_module):
    """Audit events and signed notes refuse DELETE: the triggers go off before the flush
    that empties the tables after each test, and back after the last one."""
    yield
    _triggers_back_after_the_module.extend(triggers.disable())


def _sql(queries) -> str:
    return "\n".join(q["sql"] for q in queries.captured_queries)


def _capture(alias: str):
    return CaptureQueriesContext(connections[alias]) if alias in connections else _Nothing()


class _Nothing:
    captured_queries: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("url, words", [
    ("sqlite:///tmp/replica.sqlite3", "expected a PostgreSQL URL"),
    ("mysql://db/psynote", "expected a PostgreSQL URL"),
    ("postgresql://host:5432/", "names no database"),
])
def test_a_malformed_replica_url_stops_start_up(url, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        replica.database(url, primary=POSTGRES)


def test_a_replica_of_a_sqlite_primary_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not PostgreSQL"):
        replica.database("postgresql://standby/psynote",
                         primary={"ENGINE": "django.db.backends.sqlite3"})


def test_the_replica_alias_mirrors_the_primary_in_tests_and_keeps_its_connection_age():
    alias = replica.database("postgresql://reader@standby:5433/psynote", primary=POSTGRES)
    assert (alias["HOST"], alias["PORT"], alias["NAME"]) == ("standby", 5433, "psynote")
    assert alias["TEST"] == {"MIRROR": "default"} and alias["CONN_MAX_AGE"] == 600


def test_the_pooler_setting_accepts_pgbouncer_and_refuses_anything_else():
    assert pooling.pooler("PSYNOTE_DATABASE_POOLER", " PgBouncer ") == "pgbouncer"
    assert pooling.pooler("PSYNOTE_DATABASE_POOLER", "") == ""
    with pytest.raises(ImproperlyConfigured, match="expected one of: pgbouncer"):
        pooling.pooler("PSYNOTE_DATABASE_POOLER", "pgpool")
    databases = {"default": dict(POSTGRES), "other": {"ENGINE": "django.db.backends.sqlite3"}}
    pooling.apply(databases, "pgbouncer")
    assert databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "DISABLE_SERVER_SIDE_CURSORS" not in databases["other"]


@pytest.mark.parametrize("variables, words", [
    ({"PSYNOTE_REPLICA_DATABASE_URL": "mysql://db/psynote"}, "expected a PostgreSQL URL"),
    ({"PSYNOTE_REPLICA_MAX_LAG_SECONDS": "soon"}, "expected a whole number"),
    ({"PSYNOTE_DATABASE_POOLER": "pgpool"}, "expected one of: pgbouncer"),
])
def test_settings_refuse_a_bad_value_at_start_up(tmp_path, variables, words):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSYNOTE_", "DATABASE_"))}
    env.update(PSYNOTE_HOME=str(tmp_path), PSYNOTE_SECRET_KEY="test-only",
               DATABASE_URL="postgresql://psynote@/psynote?host=/nonexistent", **variables)
    started = subprocess.run([sys.executable, "-c", "import psynote.settings"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode != 0 and words in started.stderr


@committed
def test_reads_outside_a_replica_block_always_go_to_the_primary(committed_db):
    replica.forget_writes()
    assert router.db_for_read(Client) == "default"


@committed
def test_a_marked_read_reaches_the_standby_when_one_is_configured(committed_db):
    replica.forget_writes()
    with replica_reads():
        alias = router.db_for_read(Client)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()" if alias == replica.ALIAS else
                           "SELECT 0")
            in_recovery = bool(cursor.fetchone()[0])
    assert (alias, in_recovery) == ((replica.ALIAS, True) if REPLICA else ("default", False))


@committed
def test_a_read_after_a_write_in_the_same_request_reads_the_primary(committed_db, cast):
    replica.forget_writes()  # the request begins
    made = t.make_client(cast.alice, first_name="Rowan", last_name="Justwritten")
    with _capture(replica.ALIAS) as on_replica, CaptureQueriesContext(
        connections["default"]
    ) as on_primary, replica_reads():
        assert Client.objects.filter(pk=made.pk).exists()
    assert "clients_client" in _sql(on_primary)
    assert on_replica.captured_queries == []


@committed
def test_a_read_inside_a_transaction_reads_the_primary(committed_db, cast):
    replica.forget_writes()
    with _capture(replica.ALIAS) as on_replica, transaction.atomic(), replica_reads():
        assert Client.objects.filter(pk=cast.client.pk).exists()
    assert on_replica.captured_queries == []


@committed
def test_a_replica_lagging_past_the_bound_is_not_read(committed_db, cast, settings):
    settings.REPLICA_MAX_LAG_SECONDS = -1  # any replica lags more than that
    replica.forget_writes()
    with _capture(replica.ALIAS) as on_replica, replica_reads():
        assert Client.objects.filter(pk=cast.client.pk).exists()
    # Only the lag check itself ran there, nothing of the record.
    assert "clients_client" not in _sql(on_replica)


@committed
def test_a_replica_that_does_not_answer_leaves_reads_on_the_primary(committed_db, cast):
    replica.forget_writes()
    down = connections[replica.ALIAS] if REPLICA else None
    host = down.settings_dict["HOST"] if down is not None else ""
    if down is not None:
        down.close()
        down.settings_dict["HOST"] = "/nonexistent-psynote-replica"  # HOST wins over OPTIONS
    try:
        with CaptureQueriesContext(connections["default"]) as on_primary, replica_reads():
            assert Client.objects.filter(pk=cast.client.pk).exists()
    finally:
        if down is not None:
            down.settings_dict["HOST"] = host
            down.close()
    assert "clients_client" in _sql(on_primary)


def _give_phq9(client, user, total: int, days_ago: int = 0) -> None:
    from psynote.measures import actions

    answers = {n: 0 for n in range(1, 10)}
    for i in range(total):
        answers[1 + i % 8] += 1
    actions.administer(by=user, client=client, instrument_key="phq9", answers=answers,
                       administered_at=timezone.now() - timedelta(days=days_ago))


@committed
def test_the_caseload_outcomes_page_reads_the_replica_and_logs_on_the_primary(
    committed_db, cast, client
):
    _give_phq9(cast.client, cast.alice, 14, days_ago=14)
    _give_phq9(cast.client, cast.alice, 6)
    client.force_login(cast.alice)
    client.get("/caseload/")  # the session's first refresh (a write) happens here
    with _capture(replica.ALIAS) as on_replica, CaptureQueriesContext(
        connections["default"]
    ) as on_primary:
        response = client.get("/caseload/outcomes/")
    assert response.status_code == 200 and "Fictional" in response.content.decode()
    assert 'INSERT INTO "audit_auditevent"' in _sql(on_primary)  # the view's audit event
    outcome_reads = [q for q in ("measures_administration", "clients_client")
                     if q in _sql(on_replica)]
    if REPLICA:
        assert outcome_reads == ["measures_administration", "clients_client"]
        assert "measures_administration" not in _sql(on_primary)
    else:
        assert outcome_reads == [] and "measures_administration" in _sql(on_primary)


@committed
def test_psynote_verify_reads_the_chain_on_the_replica_and_passes(committed_db, cast, capsys):
    from psynote import cli

    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    replica.forget_writes()  # a fresh command: what the fixture wrote is committed
    with _capture(replica.ALIAS) as on_replica:
        assert cli.main(["verify"]) == 0
    assert "OK: every audit chain" in capsys.readouterr().out
    assert ("audit_auditevent" in _sql(on_replica)) is REPLICA
    assert ("convert_to(payload" in _sql(on_replica)) is REPLICA  # the chain scan itself
    assert ("notes_progressnote" in _sql(on_replica)) is REPLICA


@committed
def test_the_fhir_export_reads_the_replica_and_logs_on_the_primary(committed_db, cast, tmp_path):
    from psynote import cli

    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    replica.forget_writes()
    with _capture(replica.ALIAS) as on_replica, CaptureQueriesContext(
        connections["default"]
    ) as on_primary:
        assert cli.main(["export-fhir", str(tmp_path / "out")]) == 0
    assert 'INSERT INTO "audit_auditevent"' in _sql(on_primary)
    assert ('FROM "clients_client"' in _sql(on_replica)) is REPLICA
    assert ('FROM "clients_client"' in _sql(on_primary)) is not REPLICA
