"""Two-factor sign-in in a real browser: a practice admin must set it up at first sign-in,
then signs in with a code from the app, with a recovery code, and a code used once is
refused the second time. Debian's Chromium via Playwright, against gunicorn."""

import time
from collections.abc import Iterator

import pyotp
import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
SETUP = """
from psynote import testing as t
from psynote.accounts.models import Role
practice = t.make_practice("Browser Two-Factor Practice (fictional)")
t.make_user(practice, "ada", Role.ADMIN, first_name="Ada", last_name="Fictional")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP) as url:
        yield url


@pytest.fixture
def page(server: str):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        context = chromium.new_context(base_url=server)
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()


def _password_step(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _code_step(page, code: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in").click()


def test_admin_enrols_then_signs_in_with_a_code_and_a_recovery_code(page) -> None:
    from playwright.sync_api import expect

    # First sign-in: an admin is sent to set up an authenticator, and nowhere else.
    _password_step(page)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.locator("[data-qr] svg")).to_be_visible()
    page.goto("/users/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: go on").click()
    expect(page.get_by_role("heading", name="Users of Browser Two-Factor Practice")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The password alone no longer signs in: a code from the app does. (The code of the
    # next 30-second step: within the allowed drift, and later than the one enrolment used.)
    code = totp.at(time.time() + 30)
    _password_step(page)
    _code_step(page, code)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The same code is refused the second time; a recovery code signs in, once.
    _password_step(page)
    _code_step(page, code)
    expect(page.get_by_text("That code is not valid")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    _code_step(page, codes[0])
    expect(page.get_by_text("You signed in with a recovery code; 9 left")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _password_step(page)
    _code_step(page, codes[0])
    expect(page.get_by_text("That code is not valid")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
