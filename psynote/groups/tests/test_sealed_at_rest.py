"""A group session's draft (shared narrative, plan, each member's part and risk block) and a
family session's participant names never reach the database in clear: each is sealed
under the member's (or identified client's) data key (ADR 0014)."""

from uuid import uuid4

from django.db import connection

from psynote import testing as t
from psynote.groups import actions
from psynote.groups.models import GroupAttendance
from psynote.lib.tests import at_rest
from psynote.visits import participants
from psynote.visits.models import SessionParticipant


def test_drafts_and_participant_names_are_sealed(group, cast):
    markers = {place: f"ZEBRA{uuid4().hex}" for place in (
        "shared", "plan", "ada", "ben", "risk", "participant", "control")}
    ada, ben = group.members["ada"], group.members["ben"]
    actions.save_group_session(by=group.alice, group_session=group.gs,
                               shared=markers["shared"], plan=markers["plan"], members=[
        {"client_id": ada.pk, "individual": markers["ada"],
         "risk": {"flagged": True, "level": "low", "protective_factors": markers["risk"]}},
        {"client_id": ben.pk, "individual": markers["ben"]}])
    family = t.make_session(cast.client, cast.alice, service="family_with_client")
    participants.add_participant(by=cast.alice, session=family, role="partner",
                                 name=markers["participant"])
    t.make_client(cast.alice, address=markers["control"])
    assert at_rest.found_in(at_rest.every_column_as_text(), markers) == {"control"}
    row = GroupAttendance.objects.get(client=ada)
    assert row.individual == markers["ada"] and row.shared == markers["shared"]
    assert SessionParticipant.objects.get().name == markers["participant"]


def test_sealed_columns_only(db):
    with connection.cursor() as cursor:
        for model in (GroupAttendance, SessionParticipant):
            columns = {c.name for c in connection.introspection.get_table_description(
                cursor, model._meta.db_table)}
            assert not set(model.fact_names()) & columns and "facts_ct" in columns
