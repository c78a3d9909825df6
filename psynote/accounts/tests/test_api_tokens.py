"""API tokens end: at expiry, on a password change or reset, on deactivation. Making one
asks for the password again; a read-only token only reads; failed tries are throttled."""

import os
import subprocess
import sys
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from psynote import testing as t
from psynote.accounts import actions
from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client as ClientRecord

CLIENTS = "/api/v1/clients"
NEW_CLIENT = {"first_name": "Morgan", "last_name": "Notreal", "date_of_birth": "1985-02-03"}


def _bearer(token: str, ip: str = "198.51.100.40") -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=ip)


def test_a_token_expires_after_the_configured_days(cast, settings):
    settings.TOKEN_DAYS = 30
    row, token = ApiToken.issue(user=cast.alice, name="laptop")
    expected = timezone.now() + timedelta(days=30)
    assert abs((row.expires_at - expected).total_seconds()) < 60
    assert _bearer(token).get(CLIENTS).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _bearer(token).get(CLIENTS)
    assert response.status_code == 401
    assert "expired" in AuditEvent.objects.get(action="api.auth_failed").detail


def test_the_default_lifetime_is_ninety_days(cast):
    row, _ = ApiToken.issue(user=cast.alice, name="laptop")
    assert (row.expires_at - row.created_at).days == 90


def _settings_token_days(value: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PSYNOTE_TOKEN_DAYS": value}
    code = "import psynote.settings as s; print(s.TOKEN_DAYS)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)


def test_the_token_lifetime_is_read_from_the_environment_and_checked_at_start_up():
    assert _settings_token_days("7").stdout.strip() == "7"
    refused = _settings_token_days("0")
    assert refused.returncode != 0 and "PSYNOTE_TOKEN_DAYS=0" in refused.stderr
    assert _settings_token_days("ninety").returncode != 0


def test_a_password_change_revokes_every_token(cast, login):
    row, token = ApiToken.issue(user=cast.alice, name="laptop")
    new = "Another-Fictional-Pass-7"
    login(cast.alice).post("/account/password/", {
        "old_password": t.PASSWORD, "new_password1": new, "new_password2": new})
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert _bearer(token).get(CLIENTS).status_code == 401


def test_an_admin_reset_revokes_every_token(cast):
    row, token = ApiToken.issue(user=cast.bob, name="laptop")
    actions.update_user(by=cast.ada, user=cast.bob, password="Admin-Chosen-Passphrase-4")
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert _bearer(token).get(CLIENTS).status_code == 401


def test_deactivation_revokes_every_token(cast):
    row, _ = ApiToken.issue(user=cast.bob, name="laptop")
    actions.update_user(by=cast.ada, user=cast.bob, is_active=False)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(action="user.deactivate", target_id=str(cast.bob.pk)
                                     ).exists()


def test_making_a_token_asks_for_the_password_again(cast, login):
    browser = login(cast.alice)
    response = browser.post("/account/tokens/", {"name": "script"})
    assert response.status_code == 200 and not ApiToken.objects.exists()
    response = browser.post("/account/tokens/", {"name": "script", "password": "not-mine-at-all"})
    assert "That is not your password" in response.content.decode()
    assert not ApiToken.objects.exists()
    # A wrong password here counts like a failed login.
    assert AuditEvent.objects.filter(action="login.failed", target_id="alice").exists()
    response = browser.post("/account/tokens/", {"name": "script", "password": t.PASSWORD})
    assert "shown only this once" in response.content.decode()
    assert ApiToken.objects.filter(user=cast.alice).count() == 1


def test_making_a_token_is_refused_while_the_username_is_locked(cast, login, settings):
    settings.LOGIN_MAX_FAILURES = 2
    browser = login(cast.alice)
    for _ in range(2):
        browser.post("/account/tokens/", {"name": "script", "password": "not-mine-at-all"})
    response = browser.post("/account/tokens/", {"name": "script", "password": t.PASSWORD})
    assert "Too many failed attempts" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_read_only_token_reads_but_never_writes(cast, login):
    login(cast.alice).post("/account/tokens/", {
        "name": "report", "read_only": "on", "password": t.PASSWORD})
    row = ApiToken.objects.get()
    assert row.read_only
    _, token = ApiToken.issue(user=cast.alice, name="report", read_only=True)
    assert _bearer(token).get(CLIENTS).status_code == 200
    response = _bearer(token).post(CLIENTS, NEW_CLIENT, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "read-only" in response.json()["detail"]
    patch = _bearer(token).patch(f"{CLIENTS}/{cast.client.pk}", {"first_name": "Changed"},
                                 content_type="application/json")
    assert patch.status_code == 403
    assert not ClientRecord.objects.filter(first_name="Morgan").exists()
    cast.client.refresh_from_db()
    assert cast.client.first_name == "Avery"


def test_failed_token_attempts_are_throttled_like_logins(cast, settings):
    settings.LOGIN_MAX_FAILURES = 1  # four failed tries per address
    _, good = ApiToken.issue(user=cast.alice, name="laptop")
    for n in range(4):
        assert _bearer(f"psn_guess{n}").get(CLIENTS).status_code == 401
    locked = _bearer(good).get(CLIENTS)
    assert locked.status_code == 429
    assert "too many" in locked.json()["detail"]
    # The tries during the lock count too, and another address is not affected.
    assert AuditEvent.objects.filter(action="api.auth_failed", ip="198.51.100.40").count() == 5
    assert _bearer(good, ip="198.51.100.41").get(CLIENTS).status_code == 200


def test_the_token_list_shows_expiry_and_scope(cast, login):
    ApiToken.issue(user=cast.alice, name="reporting", read_only=True)
    page = login(cast.alice).get("/account/").content.decode()
    assert "reporting" in page and "read-only" in page and "Expires" in page
