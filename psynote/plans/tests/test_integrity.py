"""`psynote verify` and the privacy officer's verify button check signed plan versions as
they check signed notes: content against its hash, hash against the audit chain."""

from django.db import connection

from psynote import testing as t
from psynote.lib.tests import triggers
from psynote.notes.integrity import signed_records_problems
from psynote.plans.models import Objective, PlanVersion


def _disable_triggers() -> None:
    """Switch off every refuse-change trigger, as someone with database access could.
    On PostgreSQL the plan items' triggers use their own function, which the shared helper
    does not look for. The test's rollback switches them all on again."""
    triggers.disable()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in (
                "plans_problem",
                "plans_goal",
                "plans_objective",
                "plans_planintervention",
            ):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _problems(cast) -> list[str]:
    return [str(p) for p in signed_records_problems(cast.practice.pk)]


def test_intact_signed_plans_raise_no_problem(cast):
    t.make_plan(cast.client, cast.alice)
    t.make_plan(cast.other_client, cast.bob, sign=False)
    assert _problems(cast) == []


def test_an_objective_changed_behind_the_triggers_is_found(cast):
    version = t.make_plan(cast.client, cast.alice)
    _disable_triggers()
    Objective.objects.filter(version=version).update(status="achieved")
    assert _problems(cast) == [
        f"treatment plan version {version.pk}: its content no longer matches its signed hash"
    ]


def test_texts_moved_from_another_version_are_found(cast):
    first = t.make_plan(cast.client, cast.alice)
    other = t.make_plan(cast.other_client, cast.bob)
    _disable_triggers()
    PlanVersion.objects.filter(pk=first.pk).update(texts_ct=bytes(other.texts_ct))
    assert any("altered or moved" in p for p in _problems(cast))


def test_a_signed_version_deleted_behind_the_triggers_is_found(cast):
    version = t.make_plan(cast.client, cast.alice)
    _disable_triggers()
    with connection.cursor() as cursor:
        for table in (
            "plans_objective",
            "plans_goal",
            "plans_planintervention",
            "plans_problem",
            "plans_planversion",
        ):
            column = "id" if table == "plans_planversion" else "version_id"
            value = version.pk.hex if connection.vendor == "sqlite" else version.pk
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [value])
    assert any(str(version.pk) in p and "missing" in p for p in _problems(cast))
