"""A password an admin sets is one-time: the user must choose their own at first sign-in,
is told who set it and when, loses every session and token, and the privacy officer's log
flags it. Every path that sets a password sends `password_set` (ADR 0007)."""

import pytest
from django.core.management import call_command
from django.test import Client

from psynote import testing as t
from psynote.accounts import actions
from psynote.accounts.models import ApiToken, User
from psynote.accounts.signals import password_set
from psynote.audit.models import AuditEvent

RESET = "Admin-Chosen-Passphrase-4"
CHOSEN = "Bobs-Own-Passphrase-77"


def _edit_form(user: User, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "credentials": user.credentials,
        "licence_number": user.licence_number,
        "licence_state": user.licence_state,
        "is_active": "on",
        "password1": "",
        "password2": "",
    }
    data.update(changes)
    return data


def _reset(admin_browser: Client, user: User, password: str = RESET):
    return admin_browser.post(
        f"/users/{user.pk}/", _edit_form(user, password1=password, password2=password)
    )


def _sign_in(username: str, password: str) -> tuple[Client, object]:
    browser = Client()
    return browser, browser.post("/login/", {"username": username, "password": password})


@pytest.fixture
def signals():
    """Every password_set sent while the test runs, as dicts of its arguments."""
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append({"sender": sender, **{k: v for k, v in kwargs.items() if k != "signal"}})

    password_set.connect(receiver)
    yield sent
    password_set.disconnect(receiver)


def test_an_admin_reset_password_must_be_changed_at_first_sign_in(cast, login):
    _reset(login(cast.ada), cast.bob)
    cast.bob.refresh_from_db()
    assert cast.bob.must_change_password
    browser, response = _sign_in("bob", RESET)
    assert response.status_code == 302 and response["Location"] == "/account/password/choose/"
    # Everything but the change page and logging out sends bob back to it.
    for url in ("/", "/caseload/", f"/clients/{cast.other_client.pk}/", "/account/"):
        answer = browser.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"] == "/account/password/choose/", url
    api = browser.get("/api/v1/clients")
    assert api.status_code == 403 and "new password" in api.json()["detail"]
    assert browser.get("/account/password/choose/").status_code == 200

    changed = browser.post("/account/password/", {
        "old_password": RESET, "new_password1": CHOSEN, "new_password2": CHOSEN})
    assert changed.status_code == 302
    cast.bob.refresh_from_db()
    assert not cast.bob.must_change_password and cast.bob.check_password(CHOSEN)
    assert browser.get("/caseload/").status_code == 200


def test_the_user_is_told_who_reset_the_password_and_when(cast, login):
    _reset(login(cast.ada), cast.bob)
    browser, response = _sign_in("bob", RESET)
    page = browser.get(response["Location"]).content.decode()
    assert "Choose your own password" in page
    assert f"{cast.ada.signature_name} reset your password on " in page
    # Told once: the next page does not repeat it.
    again = browser.get("/account/password/choose/").content.decode()
    assert "reset your password on" not in again


def test_a_reset_ends_the_users_sessions_and_tokens(cast, login):
    bobs_laptop = Client()
    bobs_laptop.force_login(cast.bob)
    assert bobs_laptop.get("/caseload/").status_code == 200
    _, token = ApiToken.issue(user=cast.bob, name="laptop script")
    _reset(login(cast.ada), cast.bob)
    assert bobs_laptop.get("/caseload/").status_code == 302
    assert "_auth_user_id" not in bobs_laptop.session
    answer = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/clients")
    assert answer.status_code == 401
    assert not ApiToken.objects.filter(user=cast.bob).active().exists()
    assert not cast.bob.signed_in_sessions.exists()


def test_a_reset_is_audited_without_the_password_and_flagged_for_the_privacy_officer(cast,
                                                                                     login):
    _reset(login(cast.ada), cast.bob)
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.actor_id == str(cast.ada.pk)
    assert event.target_type == "user" and event.target_id == str(cast.bob.pk)
    assert RESET not in event.payload and RESET.lower() not in event.payload.lower()
    page = login(cast.pria).get("/audit/").content.decode()
    assert "user.password_reset" in page
    assert "data-flag=\"account-reset\"" in page


def test_an_account_an_admin_creates_starts_with_a_one_time_password(cast, login):
    login(cast.ada).post("/users/new/", {
        "username": "nina", "first_name": "Nina", "last_name": "Fictitious",
        "email": "", "role": "clinician", "credentials": "", "licence_number": "",
        "licence_state": "", "supervisor": "", "is_active": "on",
        "password1": RESET, "password2": RESET})
    nina = User.objects.get(username="nina")
    assert nina.must_change_password
    browser, response = _sign_in("nina", RESET)
    assert response["Location"] == "/account/password/choose/"
    page = browser.get(response["Location"]).content.decode()
    assert "created your account" in page and cast.ada.signature_name in page


def test_an_admin_cannot_set_their_own_password_on_the_user_page(cast, login):
    response = _reset(login(cast.ada), cast.ada)
    assert response.status_code == 200
    assert "your account page" in response.content.decode()
    cast.ada.refresh_from_db()
    assert cast.ada.check_password(t.PASSWORD) and not cast.ada.must_change_password


def test_password_set_is_sent_by_an_own_change(cast, login, signals):
    login(cast.alice).post("/account/password/", {
        "old_password": t.PASSWORD, "new_password1": CHOSEN, "new_password2": CHOSEN})
    assert signals == [{"sender": User, "user": cast.alice, "raw_password": CHOSEN,
                        "old_raw_password": t.PASSWORD, "by_admin": False}]


def test_password_set_is_sent_by_an_admin_reset(cast, login, signals):
    _reset(login(cast.ada), cast.bob)
    assert len(signals) == 1
    sent = signals[0]
    assert sent["user"].pk == cast.bob.pk and sent["raw_password"] == RESET
    assert sent["old_raw_password"] is None and sent["by_admin"] is True


def test_password_set_is_sent_when_an_account_is_created(cast, signals):
    # The path `psynote createuser` takes (by=None: the operator at the server).
    nina = actions.create_user(by=None, practice=cast.practice, username="nina",
                               password=RESET, role="clinician")
    assert signals == [{"sender": User, "user": nina, "raw_password": RESET,
                        "old_raw_password": None, "by_admin": False}]
    assert not nina.must_change_password


def test_password_set_is_sent_by_the_operators_changepassword(cast, signals, monkeypatch):
    answers = iter([RESET, RESET])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("changepassword", "bob")
    cast.bob.refresh_from_db()
    assert cast.bob.check_password(RESET) and cast.bob.must_change_password
    assert signals[0]["by_admin"] is True and signals[0]["old_raw_password"] is None
    assert AuditEvent.objects.filter(action="user.password_reset",
                                     target_id=str(cast.bob.pk)).exists()


def test_the_operators_changepassword_applies_the_password_rules(cast, monkeypatch, capsys):
    from django.core.management.base import CommandError

    answers = iter(["1234567890123"] * 6)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError):
        call_command("changepassword", "bob")
    assert "entirely numeric" in capsys.readouterr().err
    cast.bob.refresh_from_db()
    assert cast.bob.check_password(t.PASSWORD)


def test_a_receiver_that_fails_undoes_the_password_change(cast, login):
    def refuse(sender, **kwargs):
        raise RuntimeError("key re-wrap failed (fictional)")

    password_set.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            actions.change_password(by=cast.alice, password=CHOSEN, old_password=t.PASSWORD)
    finally:
        password_set.disconnect(refuse)
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(t.PASSWORD)
