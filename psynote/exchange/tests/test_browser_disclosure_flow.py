"""An authorised disclosure in a real browser: Debian's Chromium driven by Playwright
against the real WSGI server (gunicorn) on its own fresh database. A clinician records
the client's authorization for a receiving psychiatrist, discloses the record to them as
a signed FHIR package, and the privacy officer finds the disclosure in the log and in the
client's accounting of disclosures."""

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
# Privacy officers sign in with two factors (ADR 0007): pria's authenticator key.
PRIA_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
RECIPIENT = "Dr Rowan Fictional"
CLINIC = "Imaginary Psychiatry Associates"
SETUP = """
from datetime import timedelta
from django.utils import timezone
from psynote import testing as t
from psynote.accounts.models import Role
from psynote.notes import actions as note_actions
practice = t.make_practice("Browser Disclosure Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
pria = t.make_user(practice, "pria", role=Role.PRIVACY, first_name="Pria", last_name="Fictional")
from psynote.accounts import mfa
from psynote.accounts.models import TotpDevice
TotpDevice.objects.create(user=pria, secret_sealed=mfa.seal_secret(pria.pk, "{totp}"),
                          confirmed_at=timezone.now())
client = t.make_client(alice, first_name="Avery", last_name="Disclosuretest", diagnosis="F41.1")
session = t.make_session(client, alice, day=timezone.localdate() - timedelta(days=1))
note_actions.sign_note(by=alice, note=t.make_note(session))
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

    context = browser.new_context(base_url=server, accept_downloads=True)
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


def test_clinician_discloses_under_an_authorization_and_privacy_officer_sees_it(
    browser, server: str
) -> None:
    from playwright.sync_api import expect

    today = datetime.now(ZoneInfo(os.environ.get("PSYNOTE_TIME_ZONE", "America/New_York")))
    expires = (today + timedelta(days=365)).strftime("%Y-%m-%d")

    page = _logged_in(browser, server, "alice")
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    page.get_by_role("link", name=re.compile("Disclosuretest")).first.click()
    page.get_by_role("link", name="Authorizations and disclosures").click()
    expect(page.get_by_role("heading", name="Authorizations and disclosures")).to_be_visible()

    # The client's release of information, signed on screen.
    page.get_by_role("link", name="Record an authorization").click()
    page.get_by_label("Recipient (person)").fill(RECIPIENT)
    page.get_by_label("Organisation").fill(CLINIC)
    page.get_by_label("Contact").fill("1 Imaginary Lane, Nowhere; fax 555-0100 (fictional)")
    page.get_by_label("Progress notes (signed)").check()
    page.get_by_label("Diagnoses").check()
    page.get_by_label("Purpose").fill("Psychiatric evaluation for medication (fictional)")
    page.get_by_label("Expires on").fill(expires)
    page.get_by_label(re.compile("the client signs here")).fill("Avery Disclosuretest")
    page.get_by_role("button", name="Record authorization").click()
    expect(
        page.get_by_role("heading", name=f"Authorization to {RECIPIENT}, {CLINIC}")
    ).to_be_visible()
    expect(page.get_by_text("Avery Disclosuretest").first).to_be_visible()

    # Disclose the record to that psychiatrist as a signed FHIR bundle package.
    page.get_by_role("link", name="Authorizations").click()
    page.get_by_role("link", name="Disclose the record…").click()
    page.get_by_label("Client's authorization").select_option(
        label=f"{RECIPIENT}, {CLINIC}: Diagnoses, Progress notes (signed) (until {expires})"
    )
    page.get_by_label("Progress notes (signed)").check()
    page.get_by_label("Diagnoses").check()
    page.get_by_label("Format").select_option("fhir-bundle")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Disclose and download the package").click()
    download = caught.value
    assert download.suggested_filename.startswith("psynote-export-")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = set(archive.namelist())
    assert {"manifest.json", "manifest.sig", "bundle.json"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert sorted(manifest["scope"]) == ["diagnoses", "progress_notes"]
    assert len(manifest["signed_records"]["progress_notes"]) == 1
    bundle = json.loads(archive.read("bundle.json"))
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "Condition", "DocumentReference"} <= kinds
    with page.expect_navigation():  # never close a context mid-navigation (Chromium hangs)
        page.get_by_role("button", name="Log out").click()
    page.context.close()

    # The privacy officer finds it in the practice's disclosure log and the accounting.
    officer = _logged_in(browser, server, "pria")
    officer.get_by_role("link", name="Disclosures").click()
    expect(officer.get_by_role("heading", name="Disclosure log")).to_be_visible()
    row = officer.get_by_role("row", name=re.compile(RECIPIENT))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Disclosuretest")
    expect(row).to_contain_text("FHIR R4 Bundle")
    expect(row).to_contain_text("Alice Fictional")
    row.get_by_role("link", name=re.compile("Disclosuretest")).click()
    expect(officer.get_by_role("heading", name="Authorizations and disclosures")).to_be_visible()
    logged = officer.get_by_role("row", name=re.compile(r"\d{4}-\d\d-\d\d.*" + RECIPIENT))
    expect(logged.first).to_be_visible()
    # A disclosure the client authorised is one the accounting rule leaves out
    # (45 CFR 164.528(a)(1)): the accounting page says so and does not list it.
    officer.get_by_role("link", name="Accounting of disclosures").click()
    expect(officer.get_by_role("heading", name="Accounting of disclosures")).to_be_visible()
    expect(officer.get_by_text("under the client's authorization")).to_be_visible()
    expect(officer.get_by_role("row", name=re.compile(RECIPIENT))).to_have_count(0)
    officer.context.close()
