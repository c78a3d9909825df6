"""Signed plan versions and their items never change, whoever writes to the database.

The version row uses the shared refuse-change trigger. Items (problems, goals, objectives,
interventions) are locked by their version's state, which is in another table: SQLite may
read it in the trigger's WHEN clause, PostgreSQL does not allow a subquery there, so there
the check runs in the trigger function instead. Inserting an item into a signed version
is refused too.
"""

from django.db import migrations

from psynote.lib.immutable import refuse_changes

ITEM_TABLES = ("plans_problem", "plans_goal", "plans_objective", "plans_planintervention")
MESSAGE = "a signed treatment plan version cannot change"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION psynote_plans_refuse_signed_item() RETURNS trigger AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM plans_planversion
                                      WHERE id = OLD.version_id AND signed_at IS NOT NULL))
       OR (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM plans_planversion
                                         WHERE id = NEW.version_id AND signed_at IS NOT NULL))
    THEN
        RAISE EXCEPTION 'psynote: %', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

_SIGNED = "(SELECT signed_at FROM plans_planversion WHERE id = {row}.version_id) IS NOT NULL"


def _item_triggers(vendor: str) -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table in ITEM_TABLES:
        for op in ("INSERT", "UPDATE", "DELETE"):
            name = f"{table}_refuse_{op.lower()}"
            if vendor == "postgresql":
                create.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW "
                    f"EXECUTE FUNCTION psynote_plans_refuse_signed_item('{MESSAGE}');"
                )
                drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
            else:
                rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[op]
                when = " OR ".join(_SIGNED.format(row=row) for row in rows)
                create.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW WHEN {when} "
                    f"BEGIN SELECT RAISE(ABORT, 'psynote: {MESSAGE}'); END;"
                )
                drop.append(f"DROP TRIGGER IF EXISTS {name};")
    return create, drop


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the body's "%" is PL/pgSQL's placeholder, not the driver's.
        schema_editor.execute(_PG_FUNCTION, params=None)
    for sql in _item_triggers(vendor)[0]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in _item_triggers(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS psynote_plans_refuse_signed_item();")


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [
        refuse_changes("plans_planversion", MESSAGE, when="OLD.signed_at IS NOT NULL"),
        migrations.RunPython(forward, backward),
    ]
