"""Login and session security: audit, throttling, idle logout, CSRF, CSP, hashing,
redirects."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client

from psynote import testing as t
from psynote.audit.models import AuditEvent


def _login(client: Client, username: str, password: str = t.PASSWORD, **extra):
    return client.post(
        "/login/", {"username": username, "password": password, **extra}, REMOTE_ADDR="203.0.113.7"
    )


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_login_success_is_audited_with_the_address(cast, client):
    response = _login(client, "alice")
    assert response.status_code == 302
    assert _logged_in(client)
    event = AuditEvent.objects.filter(action="login.success").get()
    assert event.actor_id == str(cast.alice.pk)
    assert event.target_id == "alice"
    assert event.ip == "203.0.113.7"


def test_login_failure_is_audited_with_the_address(cast, client):
    response = _login(client, "alice", "not-the-password")
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert not _logged_in(client)
    event = AuditEvent.objects.filter(action="login.failed").get()
    assert event.actor_id == ""
    assert event.target_id == "alice"
    assert event.ip == "203.0.113.7"


def test_failure_for_an_unknown_username_reads_like_any_other_failure(cast, client):
    known = _login(client, "alice", "not-the-password")
    unknown = _login(client, "nobody-here", "not-the-password")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(action="login.failed", target_id="nobody-here").exists()


def test_login_locks_a_username_after_the_configured_failures(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert _login(client, "alice", "wrong-password").status_code == 200
    locked = _login(client, "alice", "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert AuditEvent.objects.filter(action="login.refused", target_id="alice").exists()


def test_the_right_password_is_refused_while_locked(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _login(client, "alice", "wrong-password")
    response = _login(client, "alice")
    assert response.status_code == 429
    assert not _logged_in(client)
    assert not AuditEvent.objects.filter(action="login.success").exists()


def test_lockout_counts_usernames_regardless_of_case(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    _login(client, "Alice", "wrong-password")
    _login(client, "ALICE", "wrong-password")
    assert _login(client, "alice").status_code == 429


def test_lockout_of_one_username_leaves_colleagues_able_to_log_in(cast, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    _login(client, "alice", "wrong-password")
    _login(client, "alice", "wrong-password")
    assert _login(client, "bob").status_code == 302


def test_inactive_user_cannot_log_in(cast, client):
    cast.bob.is_active = False
    cast.bob.save()
    response = _login(client, "bob")
    assert response.status_code == 200
    assert not _logged_in(client)
    assert AuditEvent.objects.filter(action="login.failed", target_id="bob").exists()


def test_idle_session_is_logged_out_and_audited(cast, login, settings):
    client = login(cast.alice)
    assert client.get("/account/").status_code == 200
    session = client.session
    session["last_activity"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not _logged_in(client)
    event = AuditEvent.objects.filter(action="logout.idle").get()
    assert event.actor_id == str(cast.alice.pk)
    assert event.ip == "127.0.0.1"
    notice = client.get(response["Location"]).content.decode()
    assert "logged out after a period of inactivity" in notice


def test_recent_activity_keeps_the_session(cast, login, settings):
    client = login(cast.alice)
    session = client.session
    session["last_activity"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 + 30
    session.save()
    assert client.get("/account/").status_code == 200
    assert not AuditEvent.objects.filter(action="logout.idle").exists()


def test_logout_requires_post(cast, login):
    client = login(cast.alice)
    assert client.get("/logout/").status_code == 405
    assert _logged_in(client)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert not _logged_in(client)
    assert AuditEvent.objects.filter(action="logout", actor_id=str(cast.alice.pk)).exists()


def test_login_refuses_a_post_without_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": t.PASSWORD})
    assert response.status_code == 403
    assert not _logged_in(client)


def test_login_accepts_a_post_with_its_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/login/", {"username": "alice", "password": t.PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert _logged_in(client)


def test_pages_carry_a_strict_content_security_policy(cast, client):
    policy = client.get("/login/")["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_pages_refuse_framing_and_sniffing(cast, client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_passwords_are_hashed_with_argon2_outside_fast_hasher_mode():
    fast_hasher = "django.contrib.auth.hashers.MD5PasswordHasher"
    production = [h for h in settings.PASSWORD_HASHERS if h != fast_hasher]
    assert production[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("a-long-fictional-passphrase", hasher="argon2")
    assert encoded.startswith("argon2$")
    assert check_password("a-long-fictional-passphrase", encoded)
    assert not check_password("another-passphrase", encoded)


def test_stored_passwords_are_never_plain_text(cast):
    cast.alice.refresh_from_db()
    assert t.PASSWORD not in cast.alice.password
    assert cast.alice.check_password(t.PASSWORD)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://evil.example",
        "javascript:alert(1)",
        "https:///evil.example",
    ],
)
def test_login_refuses_to_redirect_off_site(cast, client, target):
    response = _login(client, "alice", next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_follows_a_local_next(cast, client):
    response = _login(client, "alice", next="/account/")
    assert response["Location"] == "/account/"


def test_anonymous_visitor_is_sent_to_login_with_next(db, client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/"
