"""Signed-in sessions a user can see and end; an admin ends all of a user's at once."""

from django.test import Client

from psynote import testing as t
from psynote.accounts.models import AccountNotice, ApiToken, SignedInSession
from psynote.audit.models import AuditEvent

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _sign_in(username: str = "alice", ip: str = "198.51.100.7", agent: str = FIREFOX
             ) -> Client:
    browser = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = browser.post("/login/", {"username": username, "password": t.PASSWORD})
    assert response.status_code == 302
    return browser


def _signed_in(browser: Client) -> bool:
    return browser.get("/account/").status_code == 200


def test_signing_in_records_the_session_with_address_and_browser(cast):
    browser = _sign_in()
    row = SignedInSession.objects.get(user=cast.alice)
    assert row.session_key == browser.session.session_key
    assert row.ip == "198.51.100.7" and row.user_agent == FIREFOX


def test_my_account_lists_my_sessions_and_not_others(cast):
    laptop = _sign_in(ip="198.51.100.7")
    _sign_in(ip="198.51.100.8", agent="FictionalPhoneBrowser/1.0")
    _sign_in("bob", ip="198.51.100.99")
    page = laptop.get("/account/").content.decode()
    assert "198.51.100.7" in page and "198.51.100.8" in page
    assert "FictionalPhoneBrowser" in page and "this browser" in page
    assert "198.51.100.99" not in page


def test_ending_another_session_signs_that_browser_out(cast):
    laptop, phone = _sign_in(), _sign_in(ip="198.51.100.8")
    phone_row = SignedInSession.objects.get(session_key=phone.session.session_key)
    response = laptop.post(f"/account/sessions/{phone_row.pk}/end/")
    assert response.status_code == 302
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    assert AuditEvent.objects.filter(action="session.end", target_id=str(phone_row.pk)).exists()


def test_ending_this_session_logs_me_out(cast):
    laptop = _sign_in()
    row = SignedInSession.objects.get(session_key=laptop.session.session_key)
    response = laptop.post(f"/account/sessions/{row.pk}/end/")
    assert response["Location"] == "/login/"
    assert not _signed_in(laptop)


def test_ending_all_other_sessions_keeps_this_one(cast):
    laptop, phone, tablet = _sign_in(), _sign_in(), _sign_in()
    laptop.post("/account/sessions/end-others/")
    assert _signed_in(laptop)
    assert not _signed_in(phone) and not _signed_in(tablet)
    assert SignedInSession.objects.filter(user=cast.alice).count() == 1


def test_nobody_ends_another_persons_session(cast, login):
    alices = _sign_in()
    row = SignedInSession.objects.get(session_key=alices.session.session_key)
    for user in (cast.bob, cast.ada, cast.pria):
        assert login(user).post(f"/account/sessions/{row.pk}/end/").status_code == 404
    assert _signed_in(alices)


def test_logging_out_removes_the_session_from_the_list(cast):
    laptop = _sign_in()
    laptop.post("/logout/")
    assert not SignedInSession.objects.filter(user=cast.alice).exists()


def test_a_password_change_keeps_this_session_listed_under_its_new_key(cast):
    laptop, phone = _sign_in(), _sign_in()
    new = "Another-Fictional-Pass-7"
    laptop.post("/account/password/", {
        "old_password": t.PASSWORD, "new_password1": new, "new_password2": new})
    assert _signed_in(laptop) and not _signed_in(phone)
    rows = SignedInSession.objects.filter(user=cast.alice)
    assert list(rows.values_list("session_key", flat=True)) == [laptop.session.session_key]


def test_an_admin_signs_a_user_out_everywhere(cast, login):
    laptop, phone = _sign_in("bob"), _sign_in("bob")
    row, token = ApiToken.issue(user=cast.bob, name="script")
    response = login(cast.ada).post(f"/users/{cast.bob.pk}/sign-out/")
    assert response.status_code == 302
    assert not _signed_in(laptop) and not _signed_in(phone)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(action="user.sign_out_everywhere",
                                     target_id=str(cast.bob.pk)).exists()
    notice = AccountNotice.objects.get(user=cast.bob)
    assert notice.kind == AccountNotice.Kind.SIGNED_OUT and notice.by == cast.ada


def test_only_an_admin_of_the_practice_signs_a_user_out(cast, login):
    laptop = _sign_in("bob")
    for user in (cast.alice, cast.sam, cast.fred, cast.pria):
        assert login(user).post(f"/users/{cast.bob.pk}/sign-out/").status_code == 404
    assert _signed_in(laptop)


def test_the_admins_user_page_counts_sessions_and_tokens(cast, login):
    _sign_in("bob"), _sign_in("bob")
    ApiToken.issue(user=cast.bob, name="script")
    page = login(cast.ada).get(f"/users/{cast.bob.pk}/").content.decode()
    assert "Sign out everywhere" in page
    assert "<dt class=\"muted small\">Signed-in sessions</dt><dd>2</dd>" in page
    assert "<dt class=\"muted small\">Active API tokens</dt><dd>1</dd>" in page


def test_an_admin_signing_themselves_out_everywhere_lands_on_the_login_page(cast):
    admin = Client()
    admin.force_login(cast.ada)
    response = admin.post(f"/users/{cast.ada.pk}/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert admin.get("/users/").status_code == 302
    assert not SignedInSession.objects.filter(user=cast.ada).exists()
