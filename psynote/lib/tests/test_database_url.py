"""DATABASE_URL naming a high-availability pair (ADR 0018): libpq's multi-host form."""

import dj_database_url
import pytest

from psynote.lib import database_url
from psynote.lib.database_record import describe

PAIR = ("postgresql://psynote:secret@db1.example:5432,db2.example:6432/psynote"
        "?target_session_attrs=read-write&connect_timeout=3")


def test_a_multi_host_url_gives_psycopg_the_host_and_port_lists():
    database = database_url.parse(PAIR, conn_max_age=600)
    assert database["HOST"] == "db1.example,db2.example"
    assert database["PORT"] == "5432,6432"
    assert database["NAME"] == "psynote"
    assert database["USER"] == "psynote" and database["PASSWORD"] == "secret"  # noqa: S105
    assert database["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 3}
    assert database["CONN_MAX_AGE"] == 600
    assert describe(database)["target"] == "psynote@db1.example,db2.example:5432,6432/psynote"


def test_missing_ports_default_and_ipv6_hosts_keep_their_brackets_off():
    database = database_url.parse("postgresql://u@[::1]:5433,db2/psynote", conn_max_age=0)
    assert database["HOST"] == "::1,db2"
    assert database["PORT"] == "5433,5432"


def test_a_single_host_url_is_parsed_as_before():
    for url in ("postgresql://u:p@db1:5432/psynote",
                "postgresql://psynote@/psynote?host=/run/postgresql"):
        assert database_url.parse(url, conn_max_age=600) == dj_database_url.parse(
            url, conn_max_age=600)


def test_a_malformed_host_list_is_refused_in_one_sentence():
    with pytest.raises(database_url.BadDatabaseUrl, match="is not a host"):
        database_url.parse("postgresql://u@db1:5432,:x/psynote", conn_max_age=0)
