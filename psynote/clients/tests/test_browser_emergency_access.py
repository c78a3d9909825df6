"""Breaking the glass in a real browser: Debian's Chromium driven by Playwright against the
real WSGI server (gunicorn) on its own fresh database. bob, a clinician off the care team,
finds alice's client by name, opens the chart in an emergency with a reason, reads it under
the banner and ends the access; the privacy officer reviews the use and alice sees it on
her caseload."""

import re
from collections.abc import Iterator

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
# Privacy officers sign in with two factors (ADR 0007): pria's authenticator key.
PRIA_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
REASON = "Fictional: client at the front desk in crisis, Dr Fictional away"
BANNER = "Emergency access — every page you open is recorded"
SETUP = """
from datetime import timedelta
from django.utils import timezone
from psynote import testing as t
from psynote.accounts.models import Role
practice = t.make_practice("Browser Emergency Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
t.make_user(practice, "bob", first_name="Bob", last_name="Oncall", credentials="LCSW")
pria = t.make_user(practice, "pria", role=Role.PRIVACY, first_name="Pria", last_name="Fictional")
from psynote.accounts import mfa
from psynote.accounts.models import TotpDevice
TotpDevice.objects.create(user=pria, secret_sealed=mfa.seal_secret(pria.pk, "{totp}"),
                          confirmed_at=timezone.now())
client = t.make_client(alice, first_name="Avery", last_name="Glasstest", diagnosis="F41.1")
t.make_note(t.make_session(client, alice, day=timezone.localdate() - timedelta(days=1)),
            sign=True)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP.replace("{totp}", PRIA_TOTP)) as url:
        yield url


@pytest.fixture(name="browser")
def chromium_browser(server: str):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        yield chromium


def _logged_in(browser, server: str, username: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if username == "pria":
        import pyotp

        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(PRIA_TOTP).now())
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def test_a_clinician_breaks_the_glass_reads_under_the_banner_and_it_is_reviewed(
    browser, server: str
) -> None:
    from playwright.sync_api import expect

    page = _logged_in(browser, server, "bob")
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("link", name=re.compile("Emergency access to a client who is not")).click()
    expect(page.get_by_role("heading", name="Only in an emergency")).to_be_visible()
    page.get_by_label("Search the practice's clients by name").fill("glasstest")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row", name=re.compile("Glasstest, Avery"))
    expect(row).to_contain_text("1990-05-17")
    expect(page.get_by_text("F41.1")).to_have_count(0)  # demographics only
    row.get_by_role("link", name="Emergency access").click()

    expect(page.get_by_role("heading", name="Before you open this chart")).to_be_visible()
    page.get_by_role("button", name="Open the chart in an emergency").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()  # no reason
    page.get_by_label("Reason for emergency access").fill(REASON)
    page.get_by_label(re.compile("I understand that this access is recorded")).check()
    page.get_by_role("button", name="Open the chart in an emergency").click()

    banner = page.get_by_role("alert").filter(has_text=BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"23 h 59 min left|24 h 0 min left"))
    expect(page.get_by_role("heading", name=re.compile("Avery Glasstest"))).to_be_visible()
    expect(page.get_by_text("F41.1").first).to_be_visible()  # the record, to read
    expect(page.get_by_role("link", name="Record a session")).to_have_count(0)
    expect(page.get_by_role("link", name="Authorizations and disclosures")).to_have_count(0)
    # The banner stays on every page of the chart.
    page.get_by_role("link", name="Measures").first.click()
    expect(page.get_by_role("alert").filter(has_text=BANNER)).to_be_visible()

    page.get_by_role("button", name="End emergency access").click()
    expect(page.get_by_text("Emergency access to Avery Glasstest ended.")).to_be_visible()
    expect(page.get_by_text(BANNER)).to_have_count(0)
    expect(page.locator("[data-reason]")).to_have_text(REASON)
    page.context.close()

    # The privacy officer is told on every page and records the review.
    officer = _logged_in(browser, server, "pria")
    notice = officer.get_by_role("status").filter(has_text="waits for your review")
    expect(notice).to_contain_text("1 use of emergency access")
    notice.get_by_role("link", name="Review it").click()
    row = officer.get_by_role("row", name=re.compile("Avery Glasstest"))
    expect(row).to_contain_text("Bob Oncall")
    expect(row).to_contain_text(REASON)
    row.get_by_role("link").first.click()
    expect(officer.get_by_role("cell", name="client.view").first).to_be_visible()
    officer.get_by_label("Appropriate", exact=True).check()
    officer.get_by_label("Comment").fill("Fictional: confirmed with the front desk.")
    officer.get_by_role("button", name="Record the review").click()
    expect(officer.get_by_text("Review recorded.")).to_be_visible()
    expect(officer.locator("[data-review]")).to_contain_text("Appropriate")
    expect(officer.get_by_text("waits for your review")).to_have_count(0)
    officer.context.close()

    # alice, the client's clinician, sees the use on her caseload.
    clinician = _logged_in(browser, server, "alice")
    alerts = clinician.get_by_role("region", name="Emergency access to your clients")
    expect(alerts).to_contain_text("Bob Oncall")
    expect(alerts).to_contain_text("reviewed: appropriate")
    alerts.get_by_role("link", name="Reason and pages opened").click()
    expect(clinician.locator("[data-reason]")).to_have_text(REASON)
    clinician.context.close()
