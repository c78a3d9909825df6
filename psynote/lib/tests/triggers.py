"""Test support: switch off the refuse-change triggers of psynote.lib.immutable, the way
someone with direct database access would, and put them back afterwards.

Inside an ordinary (rolled back) test the switch-off is undone by the rollback on both
engines, since SQLite and PostgreSQL both roll back DDL; tests that commit restore them
themselves with `restore`.
"""

from django.db import connection

from psynote.lib import immutable


def disable() -> list[str]:
    """Turn every refuse-change trigger off; returns the statements that turn them back on."""
    return immutable.suspend_refusals()


def restore(statements: list[str]) -> None:
    immutable.resume_refusals(statements)


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
