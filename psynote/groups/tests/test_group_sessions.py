"""A group session signed files one note in each attending member's chart, holding the
shared part and that member's own part only; bad input is refused whole."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from psynote import testing as t
from psynote.groups import actions
from psynote.groups.models import Group, GroupAttendance, GroupSession
from psynote.groups.tests.conftest import MARKERS, SHARED, fill
from psynote.notes.models import ProgressNote
from psynote.visits.models import Session


def _note_text(note: ProgressNote) -> str:
    return str(note.content())


def test_signing_files_one_note_per_attending_member_with_only_their_part(signed):
    for key, client in signed.members.items():
        notes = list(ProgressNote.objects.filter(client=client))
        sessions = list(Session.objects.filter(client=client))
        assert len(sessions) == 1 and sessions[0].service == "group"
        if key == "cy":
            assert notes == []
            assert sessions[0].attendance == "no_show"
            continue
        (note,) = notes
        assert note.is_signed and note.cpt_code == "90853"
        text = _note_text(note)
        assert MARKERS[key] in text and SHARED in text
        others = [m for k, m in MARKERS.items() if k != key]
        assert not any(m in text for m in others)
        for other_key, other in signed.members.items():
            if other_key != key:
                assert other.last_name not in text and other.first_name not in text
        assert "1 other member attended (not named in this record)" in text


def test_the_group_session_is_locked_once_signed(signed):
    assert GroupSession.objects.get(pk=signed.gs.pk).is_signed
    with pytest.raises(ValidationError, match="signed"):
        actions.save_group_session(by=signed.alice, group_session=signed.gs, shared="x")


@override_settings(GROUP_NOTE_INITIALS=True)
def test_a_practice_may_opt_in_to_initials(group):
    fill(group)
    actions.sign_group_session(by=group.alice, group_session=group.gs)
    note = ProgressNote.objects.get(client=group.members["ada"])
    assert "Also attending (initials): B.R." in _note_text(note)
    assert "Benedict" not in _note_text(note)


def test_an_empty_roster_is_refused(cast):
    with pytest.raises(ValidationError, match="roster is empty"):
        actions.create_group(by=cast.alice, name="Empty", members=[])
    assert not Group.objects.exists()


def test_a_duplicate_member_is_refused(cast):
    with pytest.raises(ValidationError, match="twice"):
        actions.create_group(by=cast.alice, name="Twice", members=[cast.client, cast.client])
    assert not Group.objects.exists()


def test_a_client_of_another_practice_or_caseload_is_refused(cast):
    stranger = t.make_client(t.make_user(t.make_practice("Other"), "otto"))
    with pytest.raises(ValidationError, match="not a client of this practice"):
        actions.create_group(by=cast.alice, name="G", members=[cast.client, stranger])
    with pytest.raises(ValidationError, match="not on your caseload"):
        actions.create_group(by=cast.alice, name="G", members=[cast.client, cast.other_client])
    assert not Group.objects.exists()


def test_an_individual_part_for_a_no_show_is_refused_and_nothing_changes(group):
    fill(group)
    cy = group.members["cy"]
    with pytest.raises(ValidationError, match="did not attend"):
        actions.save_group_session(by=group.alice, group_session=group.gs, shared="Changed",
                                   members=[
            {"client_id": cy.pk, "attendance": "no_show", "individual": "Should not be kept"}])
    row = GroupAttendance.objects.get(group_session=group.gs, client=group.members["ada"])
    assert SHARED in row.shared


def test_a_member_listed_twice_or_not_in_the_session_is_refused(group):
    ada = group.members["ada"]
    with pytest.raises(ValidationError, match="twice"):
        actions.save_group_session(by=group.alice, group_session=group.gs, members=[
            {"client_id": ada.pk}, {"client_id": ada.pk}])
    with pytest.raises(ValidationError, match="not a member"):
        actions.save_group_session(by=group.alice, group_session=group.gs, members=[
            {"client_id": group.cast.client.pk}])


def test_a_member_problem_at_signing_files_nothing(group):
    fill(group)
    ben = group.members["ben"]
    actions.save_group_session(by=group.alice, group_session=group.gs, members=[
        {"client_id": ben.pk, "attendance": "attended", "individual": ""}])
    with pytest.raises(ValidationError, match="Benedict Rook: the individual part is empty"):
        actions.sign_group_session(by=group.alice, group_session=group.gs)
    assert not ProgressNote.objects.exists()
    assert not Session.objects.filter(service="group").exists()
    assert not GroupSession.objects.get(pk=group.gs.pk).is_signed


def test_a_member_s_risk_block_goes_to_their_note_only(group):
    fill(group)
    ada = group.members["ada"]
    actions.save_group_session(by=group.alice, group_session=group.gs, members=[
        {"client_id": ada.pk, "attendance": "attended", "individual": "Quiet today.",
         "risk": {"flagged": True, "level": "low", "protective_factors": "Riskmarkerword"}}])
    actions.sign_group_session(by=group.alice, group_session=group.gs)
    ada_note = ProgressNote.objects.get(client=ada)
    assert ada_note.risk_flagged and "Riskmarkerword" in _note_text(ada_note)
    ben_note = ProgressNote.objects.get(client=group.members["ben"])
    assert not ben_note.risk_flagged and "Riskmarkerword" not in _note_text(ben_note)


def test_a_session_without_a_roster_cannot_be_recorded(group):
    for member in list(group.group.members.all()):
        actions.remove_member(by=group.alice, group=group.group, client=member.client)
    with pytest.raises(ValidationError, match="roster is empty"):
        actions.create_group_session(by=group.alice, group=group.group,
                                     date=timezone.localdate(), start_time=time(9),
                                     end_time=time(10))


def test_only_the_facilitator_signs(group, cast):
    fill(group)
    with pytest.raises(ValidationError, match="facilitator"):
        actions.sign_group_session(by=cast.bob, group_session=group.gs)
