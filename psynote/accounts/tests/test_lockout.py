"""A locked username reveals nothing about passwords: the same answer whatever is sent, no
password check, and every attempt during the lock counts (ADR 0007)."""

from django.test import Client

from psynote import testing as t
from psynote.accounts import throttle
from psynote.audit.models import AuditEvent


def _login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR="203.0.113.9")


def _lock(client: Client, username: str = "alice") -> None:
    for _ in range(3):
        assert _login(client, username, "wrong-password-x").status_code == 200


def test_a_locked_account_answers_byte_identically_whatever_password_is_sent(cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    _lock(Client())
    answers = [_login(Client(), "alice", password)
               for password in ("wrong-password-x", t.PASSWORD, "", "another-wrong-one")]
    assert {a.status_code for a in answers} == {429}
    assert len({a.content for a in answers}) == 1
    body = answers[0].content.decode()
    assert "Too many failed logins" in body
    assert "Please enter a correct username" not in body
    assert "do not match" not in body
    # Nothing typed comes back: not the username either.
    assert 'value="alice"' not in body


def test_a_locked_account_never_checks_the_password(cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    _lock(Client())
    calls = []
    from django.contrib.auth.signals import user_login_failed

    def failed(**kwargs):
        calls.append(kwargs)

    user_login_failed.connect(failed)
    try:
        _login(Client(), "alice", "wrong-password-x")
        _login(Client(), "alice", t.PASSWORD)
    finally:
        user_login_failed.disconnect(failed)
    assert calls == []
    cast.alice.refresh_from_db()
    assert cast.alice.last_login is None


def test_attempts_during_the_lock_are_counted(cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    browser = Client()
    _lock(browser)
    for password in ("wrong-password-x", t.PASSWORD):
        assert _login(browser, "alice", password).status_code == 429
    refused = AuditEvent.objects.filter(action="login.refused", target_id="alice")
    assert refused.count() == 2
    # Three failures and two refusals: five attempts in the window, so a limit of five
    # still holds the lock (counting only the failures would have lifted it).
    settings.LOGIN_MAX_FAILURES = 5
    assert throttle.is_locked("alice", "")
    response = _login(browser, "alice", t.PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_the_address_limit_counts_refusals_too(cast, settings):
    settings.LOGIN_MAX_FAILURES = 1  # one per username, four per address
    browser = Client()
    assert _login(browser, "nobody-a", "wrong-password-x").status_code == 200
    assert _login(browser, "nobody-b", "wrong-password-x").status_code == 200
    # Both names are locked now; two more tries are refused, and count for the address.
    assert _login(browser, "nobody-a", "wrong-password-x").status_code == 429
    assert _login(browser, "nobody-b", "wrong-password-x").status_code == 429
    assert throttle.is_locked("bob", "203.0.113.9")
    assert _login(browser, "bob", t.PASSWORD).status_code == 429
