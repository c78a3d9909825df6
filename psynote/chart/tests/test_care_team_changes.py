"""Care-team changes made by someone other than the client's clinician are shown to that
clinician (on the caseload) and flagged in the privacy officer's audit log: an admin who
adds a colleague to a care team gives that colleague the chart, and it must not go unseen."""

from psynote.clients import actions as client_actions


def test_an_admins_care_team_change_is_shown_to_the_clinician_and_flagged(cast, login):
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    page = login(cast.alice).get("/caseload/").content.decode()
    assert "Care-team changes made by others" in page
    assert cast.client.display_name in page and "added a member" in page

    log = login(cast.pria).get("/audit/?action=care_team.add").content.decode()
    assert 'data-flag="care-team"' in log


def test_a_clinicians_own_care_team_change_is_not_shown_back_to_her(cast, login):
    client_actions.add_care_team_member(by=cast.alice, client=cast.client, user=cast.bob)
    page = login(cast.alice).get("/caseload/").content.decode()
    assert "Care-team changes made by others" not in page


def test_bob_does_not_see_changes_to_clients_that_are_not_his(cast, login):
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.sam)
    page = login(cast.bob).get("/caseload/").content.decode()
    assert "Care-team changes made by others" not in page
