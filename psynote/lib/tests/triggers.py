"""Test support: switch off the refuse-change triggers of psynote.lib.immutable, the way
someone with direct database access would, and put them back afterwards.

Inside an ordinary (rolled back) test the switch-off is undone by the rollback on both
engines, since SQLite and PostgreSQL both roll back DDL; tests that commit restore them
themselves with `restore`.
"""

from django.db import connection

_PG_TABLES = """
    SELECT DISTINCT c.relname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE p.proname = 'psynote_refuse_change' AND NOT t.tgisinternal ORDER BY c.relname
"""


def disable() -> list[str]:
    """Turn every refuse-change trigger off; returns the statements that turn them back on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_TABLES)
            tables = [name for (name,) in cursor.fetchall()]
            # Django's foreign keys are checked at commit; ALTER TABLE refuses to run while
            # such checks are pending, so run them now and defer again afterwards.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in tables]
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE '%\\_refuse\\_%' ESCAPE '\\' ORDER BY name"
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        return [sql for _, sql in triggers]


def restore(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A row deleted meanwhile leaves deferred foreign-key checks pending, and
            # PostgreSQL refuses ALTER TABLE until they have run.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)


def enabled_names() -> set[str]:
    """The refuse-change triggers in force."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE p.proname = 'psynote_refuse_change' AND t.tgenabled <> 'D'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE '%\\_refuse\\_%' ESCAPE '\\'"
            )
        return {name for (name,) in cursor.fetchall()}


def enabled_count() -> int:
    return len(enabled_names())
