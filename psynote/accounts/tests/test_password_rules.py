"""Weak passwords are refused everywhere one is set: the own change, the admin's user form
(new user and reset), and the action `psynote createuser` goes through."""

import pytest
from django.core.exceptions import ValidationError

from psynote import cli
from psynote import testing as t
from psynote.accounts import actions
from psynote.accounts.models import User

WEAK = {
    "ten spaces": " " * 10,
    "twelve spaces": " " * 12,
    "all digits": "104729104729",
    "eleven characters": "Fict-pass-1",
    "common": "password1234",
    "one letter": "aaaaaaaaaaaaaa",
}
LIKE_THE_NAME = "ninafictitious"


@pytest.mark.parametrize("weak", WEAK.values(), ids=WEAK.keys())
def test_the_own_password_change_refuses_a_weak_password(cast, login, weak):
    response = login(cast.alice).post("/account/password/", {
        "old_password": t.PASSWORD, "new_password1": weak, "new_password2": weak})
    assert response.status_code == 200
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(t.PASSWORD)


@pytest.mark.parametrize("weak", [*WEAK.values(), LIKE_THE_NAME], ids=[*WEAK, "like the name"])
def test_the_admin_form_refuses_a_weak_password_for_a_new_user(cast, login, weak):
    response = login(cast.ada).post("/users/new/", {
        "username": "nina", "first_name": "Nina", "last_name": "Fictitious", "email": "",
        "role": "clinician", "credentials": "", "licence_number": "", "licence_state": "",
        "supervisor": "", "is_active": "on", "password1": weak, "password2": weak})
    assert response.status_code == 200
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.parametrize("weak", [" " * 12, "104729104729"], ids=["spaces", "digits"])
def test_the_admin_form_refuses_a_weak_password_on_reset(cast, login, weak):
    bob = cast.bob
    response = login(cast.ada).post(f"/users/{bob.pk}/", {
        "first_name": bob.first_name, "last_name": bob.last_name, "email": "",
        "role": bob.role, "credentials": bob.credentials, "licence_number": "",
        "licence_state": "", "supervisor": "", "is_active": "on",
        "password1": weak, "password2": weak})
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.check_password(t.PASSWORD) and not bob.must_change_password


@pytest.mark.parametrize("weak", [*WEAK.values(), LIKE_THE_NAME], ids=[*WEAK, "like the name"])
def test_the_create_user_action_refuses_a_weak_password(cast, weak):
    with pytest.raises(ValidationError):
        actions.create_user(by=None, practice=cast.practice, username="nina", password=weak,
                            first_name="Nina", last_name="Fictitious")
    assert not User.objects.filter(username="nina").exists()


def test_psynote_createuser_refuses_an_all_digit_password(cast, monkeypatch, capsys):
    monkeypatch.setenv("PSYNOTE_NEW_PASSWORD", "104729104729")
    status = cli.main(["createuser", "--username", "nina", "--role", "clinician"])
    assert status != 0
    assert "entirely numeric" in capsys.readouterr().err
    assert not User.objects.filter(username="nina").exists()


def test_the_test_and_demo_passwords_pass_the_rules(db):
    from django.contrib.auth.password_validation import validate_password

    from psynote import demo

    validate_password(t.PASSWORD, User(username="alice", first_name="Alice",
                                       last_name="Testperson"))
    for username, _role, first, last, *_ in demo.STAFF:
        validate_password(demo.PASSWORD, User(username=username, first_name=first,
                                              last_name=last, email=f"{username}@example.com"))
