"""Rows that must never change (signed notes, addenda, plan versions, audit events): the
exception a model raises when asked to change one, and the database triggers that refuse
such changes on SQLite and PostgreSQL alike (used from migrations)."""

from collections.abc import Collection

from django.db import connection, migrations


class SignedRecordChange(Exception):
    """A signed record was asked to change or go. Each app's models raise their own subclass
    saying what to do instead; the API answers any of them with 409 without importing them.
    """


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION psynote_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'psynote: %', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def _statements(vendor: str, table: str, when: str | None, message: str,
                operations: tuple[str, ...]) -> tuple[list[str], list[str]]:
    create, drop = [], []
    for op in operations:
        name = f"{table}_refuse_{op.lower()}"
        if vendor == "postgresql":
            condition = f"WHEN ({when}) " if when else ""
            create.append(f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW "
                          f"{condition}EXECUTE FUNCTION psynote_refuse_change('{message}');")
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        else:
            condition = f"WHEN {when} " if when else ""
            create.append(f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW "
                          f"{condition}BEGIN SELECT RAISE(ABORT, 'psynote: {message}'); END;")
            drop.append(f"DROP TRIGGER IF EXISTS {name};")
    if vendor == "postgresql" and "DELETE" in operations and when is None:
        name = f"{table}_refuse_truncate"
        create.append(f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                      f"EXECUTE FUNCTION psynote_refuse_change('{message}');")
        drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    return create, drop


def refuse_changes(table: str, message: str, *, when: str | None = None,
                   operations: tuple[str, ...] = ("UPDATE", "DELETE")) -> migrations.RunPython:
    """A migration operation adding BEFORE UPDATE/DELETE triggers on `table`.

    `when` is an SQL condition on OLD (e.g. "OLD.signed_at IS NOT NULL"); None = always.
    """

    def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        create, _ = _statements(vendor, table, when, message, operations)
        if vendor == "postgresql":
            # params=None: the body's "%" is PL/pgSQL's placeholder, not the driver's.
            schema_editor.execute(_PG_FUNCTION, params=None)
        for sql in create:
            schema_editor.execute(sql)

    def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
        _, drop = _statements(schema_editor.connection.vendor, table, when, message, operations)
        for sql in drop:
            schema_editor.execute(sql)

    return migrations.RunPython(forward, backward)


def suspend_refusals(tables: Collection[str] | None = None) -> list[str]:
    """Switch off the refuse-change triggers (on `tables`, or on every table) inside the
    current transaction; returns the statements that `resume_refusals` runs to put them back.
    For deleting a whole practice (psynote.transfer.remove) and for tamper tests: both
    engines roll this DDL back with the transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = "
                "t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal "
                "AND p.proname = 'psynote_refuse_change' ORDER BY 1, 2")
            found = [(table, name) for table, name in cursor.fetchall()
                     if tables is None or table in tables]
            # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, name in found:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return [f"ALTER TABLE {table} ENABLE TRIGGER {name}" for table, name in found]
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                       "AND name LIKE '%\\_refuse\\_%' ESCAPE '\\' ORDER BY name")
        found_sql = [(name, sql) for name, table, sql in cursor.fetchall()
                     if tables is None or table in tables]
        for name, _ in found_sql:
            cursor.execute(f"DROP TRIGGER {name}")
        return [sql for _, sql in found_sql]


def resume_refusals(statements: list[str]) -> None:
    """Put back what `suspend_refusals` switched off. On PostgreSQL the pending foreign-key
    checks run first (ALTER TABLE refuses to run while they are pending, and a row left
    pointing at a deleted one fails here), then Django's deferred checks resume."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
