from psynote.audit.models import AuditEvent
from psynote.clients.models import CareTeamMember


def _url(cast):
    return f"/clients/{cast.client.pk}/care-team/"


def test_admin_sees_the_care_team_page(cast, login):
    page = login(cast.ada).get(_url(cast))
    assert page.status_code == 200 and cast.alice.signature_name in page.content.decode()


def test_only_admin_manages_the_care_team(cast, login):
    for user in (cast.alice, cast.bob, cast.sam, cast.fred, cast.pria):
        assert login(user).get(_url(cast)).status_code == 404
        assert (
            login(user)
            .post(_url(cast), {"action": "add", "user": cast.bob.pk, "role": "member"})
            .status_code
            == 404
        )
    assert not cast.client.care_team.filter(user=cast.bob).exists()


def test_admin_adds_a_member_then_makes_them_primary_then_removes_them(cast, login):
    admin = login(cast.ada)
    assert (
        admin.post(_url(cast), {"action": "add", "user": cast.bob.pk, "role": "member"}).status_code
        == 302
    )
    assert cast.client.care_team.get(user=cast.bob).role == "member"
    assert admin.post(_url(cast), {"action": "primary", "user": cast.bob.pk}).status_code == 302
    roles = dict(cast.client.care_team.values_list("user", "role"))
    assert roles == {cast.alice.pk: "member", cast.bob.pk: "primary"}
    assert admin.post(_url(cast), {"action": "remove", "user": cast.bob.pk}).status_code == 302
    assert not cast.client.care_team.filter(user=cast.bob).exists()
    actions = set(
        AuditEvent.objects.filter(client_id=str(cast.client.pk)).values_list("action", flat=True)
    )
    assert {"care_team.add", "care_team.remove"} <= actions


def test_front_desk_user_cannot_join_a_care_team(cast, login):
    before = CareTeamMember.objects.count()
    response = login(cast.ada).post(
        _url(cast), {"action": "add", "user": cast.fred.pk, "role": "member"}
    )
    assert response.status_code == 400
    assert CareTeamMember.objects.count() == before


def test_removing_someone_not_on_the_team_is_refused(cast, login):
    response = login(cast.ada).post(_url(cast), {"action": "remove", "user": cast.bob.pk})
    assert response.status_code == 400
    assert "not on this care team" in response.content.decode()


def test_unknown_action_is_refused(cast, login):
    assert login(cast.ada).post(_url(cast), {"action": "explode"}).status_code == 400
