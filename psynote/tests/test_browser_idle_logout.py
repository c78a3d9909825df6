"""Nothing typed is lost to a logout, in a real browser: Debian's Chromium driven by
Playwright against the real WSGI server (gunicorn), with the idle timeout at its minimum of
one minute. The page warns before the idle logout and offers to stay signed in; once signed
out, a draft's autosave and a form's submit say "not saved" (on screen and through a live
region), keep the text on the page, and save it after the clinician signs in again in a new
tab."""

import re
from collections.abc import Iterator

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
SETUP = """
from datetime import timedelta
from django.utils import timezone
from psynote import testing as t
from psynote.notes import actions as note_actions
practice = t.make_practice("Idle Logout Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
client = t.make_client(alice, first_name="Avery", last_name="Idletest", diagnosis="F41.1")
yesterday = timezone.localdate() - timedelta(days=1)
t.make_note(t.make_session(client, alice, day=yesterday),
            sections={"subjective": "Started before the break (fictional)."})
t.make_note(t.make_session(client, alice, day=yesterday, minutes=45,
            start=timezone.datetime(2000, 1, 1, 14, 0).time()), sign=True)
"""
# The shortest idle timeout Psynote accepts: the page warns 30 seconds before it.
TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSYNOTE_IDLE_TIMEOUT_MINUTES", str(TIMEOUT_SECONDS // 60))
        with browser.serve(SETUP) as url:
            yield url


@pytest.fixture(name="browser")
def chromium_browser(server: str):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        yield chromium


def _signed_in(browser, server: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    return context, page


def _open(page, status: str):  # type: ignore[no-untyped-def]
    """From the chart, the note whose badge says `status` (Draft / Signed)."""
    page.goto("/caseload/")
    page.get_by_role("link", name=re.compile("Idletest")).first.click()
    page.locator(f"[data-note-status={status}]").first.click()


def _sign_in_again(page) -> None:  # type: ignore[no-untyped-def]
    """The notice's "Sign in again" opens the login page in a new tab; then back."""
    from playwright.sync_api import expect

    with page.expect_popup() as opened:
        page.get_by_role("link", name="Sign in again (opens a new tab)").click()
    tab = opened.value
    tab.get_by_label("Username").fill("alice")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Signed in again")).to_be_visible()
    # Left open (see _sign_out_elsewhere); the context closes it with the rest.
    page.bring_to_front()
    page.get_by_role("button", name="I have signed in again").click()


def _sign_out_elsewhere(context) -> None:  # type: ignore[no-untyped-def]
    other = context.new_page()
    other.goto("/account/")
    other.get_by_role("banner").get_by_role("button", name="Log out").click()
    # Left open, not closed: closing a tab straight after its log-out navigation once hung
    # Chromium for the whole test timeout. The context closes it with the rest.
    other.wait_for_url("**/login/**")


def test_a_draft_typed_after_signing_out_is_kept_and_saved_after_signing_in(
    browser, server: str
) -> None:
    from playwright.sync_api import expect

    context, page = _signed_in(browser, server)
    _open(page, "draft")
    page.get_by_role("link", name="Edit draft").click()
    subjective = page.get_by_label("Subjective", exact=True)
    status = page.get_by_role("status").filter(has_text=re.compile("Autosave|Draft|saved"))
    subjective.fill("Started before the break (fictional). Typed a first line.")
    expect(status).to_have_text(re.compile(r"^Draft saved"))

    # Logged out in another tab: the editor does not know until it tries to save.
    _sign_out_elsewhere(context)
    typed = "Started before the break (fictional). Typed while signed out, and kept."
    subjective.fill(typed)
    expect(status).to_have_text("Not saved: you are signed out. What you typed is still here.")
    notice = page.locator("[data-session-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("NOT saved")
    expect(page.get_by_role("alert").filter(has_text="You are signed out")).to_have_count(1)
    expect(subjective).to_have_value(typed)

    _sign_in_again(page)
    expect(status).to_have_text(re.compile(r"^Draft saved"))
    expect(subjective).to_have_value(typed)
    page.reload()
    expect(page.get_by_label("Subjective", exact=True)).to_have_value(typed)

    # A form that posts long text (an addendum) checks the session before it is sent.
    _open(page, "signed")
    note_url = page.url
    _sign_out_elsewhere(context)
    addendum = "Correction written while signed out (fictional): the homework was journaling."
    page.get_by_label("Addendum").fill(addendum)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign and add addendum").click()
    expect(page.locator("[data-session-notice]")).to_contain_text("You are signed out")
    assert page.url == note_url
    expect(page.get_by_label("Addendum")).to_have_value(addendum)

    _sign_in_again(page)
    expect(page.locator("[data-session-notice]")).to_contain_text("Send the form again")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign and add addendum").click()
    expect(page.get_by_text("Addendum signed and added.")).to_be_visible()
    expect(page.get_by_text(addendum)).to_be_visible()
    context.close()


def test_idle_warning_offers_to_stay_and_the_idle_logout_keeps_what_is_typed(
    browser, server: str
) -> None:
    """Waits through one warning and one full idle minute: the shortest the design allows."""
    from playwright.sync_api import expect

    context, page = _signed_in(browser, server)
    _open(page, "draft")
    page.get_by_role("link", name="Edit draft").click()
    notice = page.locator("[data-session-notice]")
    stay = page.get_by_role("button", name="Stay signed in")

    # Half a minute before the idle logout: a warning, said to screen readers too.
    expect(stay).to_be_visible(timeout=(TIMEOUT_SECONDS // 2 + 10) * 1000)
    expect(notice).to_contain_text("You will be signed out at")
    expect(page.get_by_role("alert")).to_contain_text("You will be signed out at")
    stay.click()
    expect(notice).to_be_hidden()

    # Left alone: warned again, then signed out a minute after "Stay signed in".
    expect(stay).to_be_visible(timeout=(TIMEOUT_SECONDS // 2 + 10) * 1000)
    expect(notice).to_contain_text("You are signed out", timeout=(TIMEOUT_SECONDS // 2 + 10) * 1000)
    expect(page.get_by_role("alert")).to_contain_text("You are signed out")

    # Back at the keyboard: what is typed now is kept, and said not to be saved.
    subjective = page.get_by_label("Subjective", exact=True)
    typed = "Started before the break (fictional). Typed after the idle logout."
    subjective.fill(typed)
    expect(page.get_by_role("status").filter(has_text="Not saved")).to_have_text(
        "Not saved: you are signed out. What you typed is still here."
    )
    _sign_in_again(page)
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Subjective", exact=True)).to_have_value(typed)
    context.close()
