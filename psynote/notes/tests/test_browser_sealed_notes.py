"""Psychotherapy notes sealed to their author, in a real browser (ADR 0009): the author sets
up her key and writes down the recovery key; an admin resets her password and signs in as
her and sees "Sealed"; the author opens them again with her recovery key. Debian's
Chromium via Playwright, against gunicorn."""

import re
from collections.abc import Iterator

import pyotp
import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
ADMIN_SET = "admin-set-once-4821"
CHOSEN_AFTER = "chosen-after-reset-77"
PROCESS = "Fictional process note: Ravenquill and the long pause."
SETUP = """
from psynote import testing as t
from psynote.accounts.models import Role
practice = t.make_practice("Browser Sealed Notes Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional")
t.make_user(practice, "ada", Role.ADMIN, first_name="Ada", last_name="Fictional")
t.make_client(alice, first_name="Avery", last_name="Sealtest", diagnosis="F41.1")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP) as url:
        yield url


@pytest.fixture
def chromium() -> Iterator:
    with browser.chromium() as launched:
        yield launched


def _page(chromium, server):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _vault_cookie(context):  # type: ignore[no-untyped-def]
    return next((c for c in context.cookies() if c["name"] == "psynote_vault"), None)


def test_sealed_after_an_admin_reset_until_the_author_gives_her_recovery_key(
    chromium, server
) -> None:
    from playwright.sync_api import expect

    # alice sets up her key from the psychotherapy-note tab and writes a note.
    context, page = _page(chromium, server)
    _sign_in(page, "alice", PASSWORD)
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    page.get_by_role("link", name=re.compile("Sealtest")).first.click()
    page.get_by_role("link", name="My psychotherapy notes").click()
    notes_url = page.url
    expect(page.get_by_role("heading", name="Set up your psychotherapy-note key")).to_be_visible()
    page.get_by_role("link", name="Set it up").click()
    expect(page.get_by_text("your psychotherapy notes are lost")).to_be_visible()
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Set up my key").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    recovery_key = page.locator("[data-recovery-key]").inner_text()
    assert re.fullmatch(r"([0-9A-Z]{5}-){5}[0-9A-Z]{5}", recovery_key)
    page.get_by_role("link", name="I have written it down: continue").click()
    assert page.url == notes_url
    page.get_by_label("Note", exact=True).fill(PROCESS)
    page.get_by_role("button", name="Save psychotherapy note").click()
    expect(page.get_by_text(PROCESS)).to_be_visible()
    cookie = _vault_cookie(context)
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("button", name="Log out").click()
    assert not (_vault_cookie(context) or {}).get("value")

    # Signing in with her password opens them at once.
    _sign_in(page, "alice", PASSWORD)
    page.goto(notes_url)
    expect(page.get_by_text(PROCESS)).to_be_visible()
    context.close()

    # The admin (two-factor first, as the role requires) resets alice's password.
    context, page = _page(chromium, server)
    _sign_in(page, "ada", PASSWORD)
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("link", name="I have kept them: go on").click()
    page.get_by_role("link", name=re.compile("Alice")).first.click()
    page.get_by_label("New password").fill(ADMIN_SET)
    page.get_by_label("Password again").fill(ADMIN_SET)
    # Closing a context while its navigation is in flight has hung Chromium: wait for it.
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    context.close()

    # Signed in as alice with that password (and "her" new one), the admin sees "Sealed".
    context, page = _page(chromium, server)
    _sign_in(page, "alice", ADMIN_SET)
    page.get_by_label("Old password").fill(ADMIN_SET)
    page.get_by_label("New password", exact=True).fill(CHOSEN_AFTER)
    page.get_by_label("New password confirmation").fill(CHOSEN_AFTER)
    page.get_by_role("button", name="Change password").click()
    page.goto(notes_url)
    expect(page.get_by_role("heading", name="Sealed", exact=True)).to_be_visible()
    assert "Ravenquill" not in page.content()
    context.close()

    # alice (told the new password) opens them again with her recovery key.
    context, page = _page(chromium, server)
    _sign_in(page, "alice", CHOSEN_AFTER)
    page.goto(notes_url)
    expect(page.get_by_role("heading", name="Sealed", exact=True)).to_be_visible()
    page.get_by_role("link", name="open them with the recovery key").click()
    page.get_by_label("Recovery key (or your previous password)").fill(recovery_key.lower())
    page.get_by_label("Your current password").fill(CHOSEN_AFTER)
    page.get_by_role("button", name="Open and re-seal").click()
    new_key = page.locator("[data-recovery-key]").inner_text()
    assert new_key != recovery_key
    page.get_by_role("link", name="I have written it down: continue").click()
    expect(page.get_by_text(PROCESS)).to_be_visible()
    context.close()
