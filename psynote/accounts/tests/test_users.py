"""The practice admin's user pages: list, add, edit, deactivate; nobody else's."""

import pytest

from psynote import testing as t
from psynote.accounts.models import Role, User
from psynote.audit.models import AuditEvent

NEW_PASSWORD = "Correct-Horse-Battery-9"


def _new_user_form(**changes):
    data = {
        "username": "nina",
        "first_name": "Nina",
        "last_name": "Fictitious",
        "email": "nina@example.invalid",
        "role": Role.CLINICIAN,
        "credentials": "LCSW",
        "licence_number": "LIC-0001",
        "licence_state": "MN",
        "is_active": "on",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _edit_form(user: User, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "credentials": user.credentials,
        "licence_number": user.licence_number,
        "licence_state": user.licence_state,
        "is_active": "on" if user.is_active else None,
        "password1": "",
        "password2": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def other_practice(db):
    practice = t.make_practice("Another Fictional Practice")
    return t.make_user(practice, "olga", Role.ADMIN), t.make_user(practice, "otto")


def test_admin_sees_every_user_of_the_practice(cast, login):
    page = login(cast.ada).get("/users/").content.decode()
    for user in (cast.alice, cast.bob, cast.sam, cast.sue, cast.ada, cast.fred, cast.pria):
        assert f"/users/{user.pk}/" in page
    assert "Supervisor" in page and "Privacy officer" in page


def test_admin_does_not_see_users_of_another_practice(cast, login, other_practice):
    page = login(cast.ada).get("/users/").content.decode()
    assert "olga" not in page and "otto" not in page


def test_admin_of_another_practice_cannot_open_our_users(cast, login, other_practice):
    olga, _ = other_practice
    client = login(olga)
    assert client.get(f"/users/{cast.alice.pk}/").status_code == 404
    assert (
        client.post(f"/users/{cast.alice.pk}/", _edit_form(cast.alice, is_active=None)).status_code
        == 404
    )
    cast.alice.refresh_from_db()
    assert cast.alice.is_active
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=str(olga.pk), target_type="user"
    ).exists()


@pytest.mark.parametrize("who", ["alice", "sam", "fred", "pria"])
@pytest.mark.parametrize("url", ["/users/", "/users/new/", "/users/{alice}/"])
def test_only_admins_reach_the_user_pages(cast, login, who, url):
    user = getattr(cast, who)
    response = login(user).get(url.format(alice=cast.alice.pk))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor_id=str(user.pk)).exists()


def test_non_admin_cannot_create_a_user_by_posting(cast, login):
    assert login(cast.alice).post("/users/new/", _new_user_form()).status_code == 404
    assert not User.objects.filter(username="nina").exists()


def test_anonymous_visitor_is_sent_to_login_from_user_pages(db, client):
    response = client.get("/users/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_admin_adds_a_user_who_can_then_log_in(cast, login, client):
    response = login(cast.ada).post("/users/new/", _new_user_form())
    assert response.status_code == 302 and response["Location"] == "/users/"
    nina = User.objects.get(username="nina")
    assert nina.practice == cast.practice
    assert nina.role == Role.CLINICIAN and nina.credentials == "LCSW"
    assert nina.licence_state == "MN"
    assert NEW_PASSWORD not in nina.password and nina.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="user.create", target_id=str(nina.pk), actor_id=str(cast.ada.pk)
    ).exists()
    client.post("/logout/")
    assert client.post("/login/", {"username": "nina", "password": NEW_PASSWORD}).status_code == 302


def test_new_user_form_shows_its_fields(cast, login):
    page = login(cast.ada).get("/users/new/").content.decode()
    for name in (
        "username",
        "credentials",
        "licence_number",
        "licence_state",
        "is_active",
        "password1",
    ):
        assert f'name="{name}"' in page


def test_weak_password_is_refused_with_a_reason(cast, login):
    response = login(cast.ada).post(
        "/users/new/", _new_user_form(password1="short", password2="short")
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="nina").exists()


def test_mismatched_passwords_are_refused(cast, login):
    response = login(cast.ada).post("/users/new/", _new_user_form(password2="Different-pass-99"))
    assert "do not match" in response.content.decode()
    assert not User.objects.filter(username="nina").exists()


def test_new_user_needs_a_password(cast, login):
    response = login(cast.ada).post("/users/new/", _new_user_form(password1="", password2=""))
    assert response.status_code == 200
    assert not User.objects.filter(username="nina").exists()


def test_duplicate_username_is_refused(cast, login):
    response = login(cast.ada).post("/users/new/", _new_user_form(username="alice"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_admin_edits_a_user_and_the_change_is_audited(cast, login):
    response = login(cast.ada).post(
        f"/users/{cast.bob.pk}/",
        _edit_form(
            cast.bob, credentials="PsyD, LP", licence_number="LP-42"
        ),
    )
    assert response.status_code == 302
    cast.bob.refresh_from_db()
    assert cast.bob.credentials == "PsyD, LP"
    event = AuditEvent.objects.filter(action="user.update", target_id=str(cast.bob.pk)).get()
    assert "credentials" in event.detail and "licence_number" in event.detail
    assert "first_name" not in event.detail


def test_admin_sets_a_new_password_for_a_user(cast, login):
    login(cast.ada).post(
        f"/users/{cast.bob.pk}/",
        _edit_form(cast.bob, password1=NEW_PASSWORD, password2=NEW_PASSWORD),
    )
    cast.bob.refresh_from_db()
    assert cast.bob.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.filter(action="user.update", target_id=str(cast.bob.pk)).get()
    assert "password" in event.detail and NEW_PASSWORD not in event.detail


def test_editing_without_a_password_keeps_the_old_one(cast, login):
    login(cast.ada).post(f"/users/{cast.bob.pk}/", _edit_form(cast.bob, first_name="Robert"))
    cast.bob.refresh_from_db()
    assert cast.bob.first_name == "Robert" and cast.bob.check_password(t.PASSWORD)


def test_username_cannot_be_changed(cast, login):
    login(cast.ada).post(f"/users/{cast.bob.pk}/", _edit_form(cast.bob, username="robert"))
    cast.bob.refresh_from_db()
    assert cast.bob.username == "bob"


def test_deactivated_user_keeps_their_record_and_cannot_log_in(cast, login, client):
    login(cast.ada).post(f"/users/{cast.bob.pk}/", _edit_form(cast.bob, is_active=None))
    cast.bob.refresh_from_db()
    assert not cast.bob.is_active
    assert "Deactivated" in client.get("/users/").content.decode()
    client.post("/logout/")
    response = client.post("/login/", {"username": "bob", "password": t.PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_deactivation_ends_an_open_session(cast, login, client):
    from django.test import Client

    bobs_browser = Client()
    bobs_browser.force_login(cast.bob)
    assert bobs_browser.get("/account/").status_code == 200
    login(cast.ada).post(f"/users/{cast.bob.pk}/", _edit_form(cast.bob, is_active=None))
    assert bobs_browser.get("/account/").status_code == 302


def test_admin_cannot_deactivate_themselves(cast, login):
    response = login(cast.ada).post(f"/users/{cast.ada.pk}/", _edit_form(cast.ada, is_active=None))
    assert response.status_code == 200
    assert "cannot deactivate your own account" in response.content.decode()
    cast.ada.refresh_from_db()
    assert cast.ada.is_active


def test_admin_cannot_remove_their_own_admin_role(cast, login):
    response = login(cast.ada).post(
        f"/users/{cast.ada.pk}/", _edit_form(cast.ada, role=Role.CLINICIAN)
    )
    assert response.status_code == 200
    assert "cannot remove your own admin role" in response.content.decode()
    cast.ada.refresh_from_db()
    assert cast.ada.role == Role.ADMIN


def test_admin_may_edit_their_own_details(cast, login):
    response = login(cast.ada).post(
        f"/users/{cast.ada.pk}/", _edit_form(cast.ada, email="ada@example.invalid")
    )
    assert response.status_code == 302
    cast.ada.refresh_from_db()
    assert cast.ada.email == "ada@example.invalid"


def test_admin_may_demote_another_admin(cast, login):
    other = t.make_user(cast.practice, "abe", Role.ADMIN)
    login(cast.ada).post(f"/users/{other.pk}/", _edit_form(other, role=Role.FRONT_DESK))
    other.refresh_from_db()
    assert other.role == Role.FRONT_DESK


def test_user_pages_refuse_other_methods(cast, login):
    assert login(cast.ada).put("/users/").status_code == 405
