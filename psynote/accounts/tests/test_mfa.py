"""Two-factor sign-in: TOTP (RFC 6238) enrolment with a QR code, sign-in with a code or a
single-use recovery code, no code twice, and the roles that must use it."""

import re
import time

import pyotp
import pytest
from django.db import connection
from django.test import Client

from psynote import testing as t
from psynote.accounts import actions, mfa
from psynote.accounts.models import RecoveryCode, Role, TotpDevice
from psynote.audit.models import AuditEvent


def enrol(user) -> tuple[str, list[str]]:
    """Set up `user`'s authenticator as the pages do; returns (secret, recovery codes)."""
    _, secret = actions.start_totp(by=user)
    codes = actions.confirm_totp(by=user, code=pyotp.TOTP(secret).now())
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next 30-second step: valid now (one step of drift is allowed) and
    later than the step enrolment used, so it has not been spent."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _password_step(username: str, browser: Client | None = None):
    browser = browser or Client()
    response = browser.post("/login/", {"username": username, "password": t.PASSWORD})
    return browser, response


def _signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def test_the_code_parameters_are_rfc_6238_defaults():
    totp = pyotp.TOTP(mfa.new_secret())
    assert (totp.interval, totp.digits, totp.digest().name) == (30, 6, "sha1")
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890", T = 59 s: 94287082 (8 digits);
    # our 6 digits are its last six.
    rfc = pyotp.TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    assert rfc.at(59) == "287082"
    assert mfa.matching_step("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "287082", at=59) == 1


def test_the_setup_page_shows_an_inline_svg_qr_and_the_key(cast, login):
    page = login(cast.alice).get("/account/two-factor/").content.decode()
    assert "<svg" in page and "<img" not in page.split("data-qr")[1].split("</div>")[0]
    secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    device = TotpDevice.objects.get(user=cast.alice)
    assert device.confirmed_at is None
    assert mfa.open_secret(device) == secret
    # Reloading the page keeps the same key (the app may already have scanned it).
    again = login(cast.alice).get("/account/two-factor/").content.decode()
    assert secret in again.replace(" ", "")


def test_the_secret_is_stored_sealed_not_in_clear(cast):
    secret, _ = enrol(cast.alice)
    device = TotpDevice.objects.get(user=cast.alice)
    assert secret.encode() not in bytes(device.secret_sealed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_totpdevice")
        rows = repr(cursor.fetchall())
    assert secret not in rows and secret.lower() not in rows


def test_enrolling_gives_ten_recovery_codes_kept_only_as_hashes(cast, login):
    browser = login(cast.alice)
    browser.get("/account/two-factor/")
    secret = mfa.open_secret(TotpDevice.objects.get(user=cast.alice))
    response = browser.post("/account/two-factor/", {"code": pyotp.TOTP(secret).now()})
    page = response.content.decode()
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "shown only this once" in page
    stored = list(RecoveryCode.objects.filter(user=cast.alice).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert all(code not in stored and code.replace("-", "") not in stored for code in codes)
    assert TotpDevice.objects.get(user=cast.alice).confirmed_at is not None
    event = AuditEvent.objects.get(action="mfa.enrol")
    assert secret not in event.payload and not any(code in event.payload for code in codes)


def test_a_wrong_code_does_not_enrol(cast, login):
    browser = login(cast.alice)
    browser.get("/account/two-factor/")
    response = browser.post("/account/two-factor/", {"code": "000000"})
    assert "does not match" in response.content.decode()
    assert not mfa.is_enrolled(cast.alice)


def test_signing_in_asks_for_a_code_after_the_password(cast):
    secret, _ = enrol(cast.alice)
    browser, response = _password_step("alice")
    assert response["Location"] == "/login/code/"
    assert not _signed_in(browser)
    # Not signed in between the steps: pages still send to the login page.
    assert browser.get("/caseload/")["Location"].startswith("/login/")
    done = browser.post("/login/code/", {"code": next_code(secret)})
    assert done.status_code == 302 and _signed_in(browser)
    event = AuditEvent.objects.filter(action="login.success").get()
    assert '"second_factor":"totp"' in event.detail


def test_a_code_is_refused_the_second_time(cast):
    secret, _ = enrol(cast.alice)
    code = next_code(secret)
    first, _ = _password_step("alice")
    assert first.post("/login/code/", {"code": code}).status_code == 302
    second, _ = _password_step("alice")
    response = second.post("/login/code/", {"code": code})
    assert response.status_code == 200 and not _signed_in(second)
    assert "not valid" in response.content.decode()


def test_a_recovery_code_signs_in_once(cast):
    _, codes = enrol(cast.alice)
    first, _ = _password_step("alice")
    response = first.post("/login/code/", {"code": codes[3].upper()})
    assert response.status_code == 302 and _signed_in(first)
    assert "9 left" in first.get(response["Location"], follow=True).content.decode()
    second, _ = _password_step("alice")
    assert second.post("/login/code/", {"code": codes[3]}).status_code == 200
    assert not _signed_in(second)
    assert mfa.recovery_codes_left(cast.alice) == 9


def test_wrong_codes_count_toward_the_lockout(cast, settings):
    settings.LOGIN_MAX_FAILURES = 3
    secret, _ = enrol(cast.alice)
    browser, _ = _password_step("alice")
    for _ in range(3):
        assert browser.post("/login/code/", {"code": "000000"}).status_code == 200
    locked = browser.post("/login/code/", {"code": next_code(secret)})
    assert locked.status_code == 429 and not _signed_in(browser)
    assert AuditEvent.objects.filter(action="login.failed", target_id="alice").count() == 3


def test_the_code_step_without_a_password_step_goes_back_to_login(db):
    response = Client().get("/login/code/")
    assert response["Location"] == "/login/"


def test_a_pending_sign_in_expires(cast):
    secret, _ = enrol(cast.alice)
    browser, _ = _password_step("alice")
    session = browser.session
    session["mfa_pending"]["since"] -= 600
    session.save()
    response = browser.post("/login/code/", {"code": next_code(secret)})
    assert response["Location"] == "/login/" and not _signed_in(browser)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRIVACY])
def test_admins_and_privacy_officers_must_enrol_at_sign_in(cast, role):
    user = cast.ada if role == Role.ADMIN else cast.pria
    browser, response = _password_step(user.username)
    assert response["Location"] == "/account/two-factor/"
    for url in ("/", "/users/", "/audit/", "/account/"):
        answer = browser.get(url)
        assert answer.status_code == 302 and answer["Location"] == "/account/two-factor/", url
    assert browser.get("/api/v1/clients").status_code == 403
    browser.get("/account/two-factor/")
    secret = mfa.open_secret(TotpDevice.objects.get(user=user))
    browser.post("/account/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert browser.get("/account/").status_code == 200
    # From now on the password alone is not enough.
    _, again = _password_step(user.username)
    assert again["Location"] == "/login/code/"


def test_a_clinician_need_not_enrol_unless_the_practice_says_so(cast, login):
    _, response = _password_step("alice")
    assert response["Location"] == "/"
    login(cast.ada).post("/practice/security/", {"roles": ["clinician"]})
    cast.practice.refresh_from_db()
    assert cast.practice.mfa_required_roles == ["clinician"]
    _, response = _password_step("alice")
    assert response["Location"] == "/account/two-factor/"
    _, response = _password_step("fred")
    assert response["Location"] == "/"
    assert AuditEvent.objects.filter(action="practice.mfa_policy").exists()


def test_the_practice_can_require_it_for_everyone(cast, login):
    everyone = [Role.CLINICIAN, Role.SUPERVISOR, Role.FRONT_DESK]
    login(cast.ada).post("/practice/security/", {"roles": everyone})
    for username in ("alice", "sam", "fred"):
        _, response = _password_step(username)
        assert response["Location"] == "/account/two-factor/", username


def test_only_an_admin_sets_the_policy(cast, login):
    for user in (cast.alice, cast.pria, cast.fred):
        assert login(user).post("/practice/security/", {"roles": ["clinician"]}
                                ).status_code == 404
    cast.practice.refresh_from_db()
    assert cast.practice.mfa_required_roles == []


def test_a_required_second_factor_cannot_be_turned_off(cast, login):
    enrol(cast.ada)
    response = login(cast.ada).post("/account/two-factor/disable/", {"password": t.PASSWORD})
    assert response.status_code == 302
    assert mfa.is_enrolled(cast.ada)


def test_a_clinician_turns_it_off_with_the_password(cast, login):
    enrol(cast.alice)
    browser = login(cast.alice)
    browser.post("/account/two-factor/disable/", {"password": "not-my-password"})
    assert mfa.is_enrolled(cast.alice)
    browser.post("/account/two-factor/disable/", {"password": t.PASSWORD})
    assert not mfa.is_enrolled(cast.alice)
    assert not RecoveryCode.objects.filter(user=cast.alice).exists()


def test_new_recovery_codes_replace_the_old_ones(cast, login):
    _, old = enrol(cast.alice)
    response = login(cast.alice).post("/account/two-factor/recovery-codes/",
                                      {"password": t.PASSWORD})
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert not mfa.use_recovery_code(cast.alice, old[0])
    assert mfa.use_recovery_code(cast.alice, new[0])


def test_an_admin_resets_a_users_second_factor_and_it_is_flagged(cast, login):
    enrol(cast.alice)
    laptop = Client()
    laptop.force_login(cast.alice)
    response = login(cast.ada).post(f"/users/{cast.alice.pk}/two-factor/reset/")
    assert response.status_code == 302
    assert not mfa.is_enrolled(cast.alice)
    assert laptop.get("/account/").status_code == 302
    event = AuditEvent.objects.get(action="user.mfa_reset")
    assert event.actor_id == str(cast.ada.pk) and event.target_id == str(cast.alice.pk)
    page = login(cast.pria).get("/audit/").content.decode()
    assert 'data-flag="account-reset"' in page
    browser, _ = _password_step("alice")
    shown = browser.get("/", follow=True).content.decode()
    assert "turned off your two-factor sign-in" in shown


def test_a_password_reset_leaves_the_second_factor_in_place(cast, login):
    """So an admin who resets a password still cannot sign in as the user."""
    enrol(cast.bob)
    actions.update_user(by=cast.ada, user=cast.bob, password="Admin-Chosen-Passphrase-4")
    browser = Client()
    response = browser.post("/login/", {"username": "bob",
                                        "password": "Admin-Chosen-Passphrase-4"})
    assert response["Location"] == "/login/code/" and not _signed_in(browser)
