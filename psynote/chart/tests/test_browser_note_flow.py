"""A clinician's day in a real browser: Debian's Chromium driven by Playwright against the
real WSGI server (gunicorn) on its own fresh database."""

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

SETUP = """
from psynote import testing as t
practice = t.make_practice("Browser Test Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
t.make_client(alice, first_name="Avery", last_name="Browsertest", diagnosis="F41.1")
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


def test_clinician_records_session_writes_signs_and_amends_a_soap_note(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("fictional-pass-123")
    page.get_by_role("button", name="Log in").click()
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()

    page.get_by_role("link", name=re.compile("Browsertest")).first.click()
    page.get_by_role("link", name="Record a session").first.click()
    # Yesterday in the practice's time zone: held, and well inside the late-entry window.
    yesterday = datetime.now(ZoneInfo(os.environ.get("PSYNOTE_TIME_ZONE", "America/New_York")))
    page.get_by_label("Date").fill((yesterday - timedelta(days=1)).strftime("%Y-%m-%d"))
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Stop time").fill("10:50")
    page.get_by_label("Attendance").select_option("attended")
    page.get_by_role("button", name="Record session").click()
    expect(page.get_by_text("90834").first).to_be_visible()  # 50 minutes face-to-face

    page.get_by_label("SOAP").check()
    page.get_by_role("button", name="Write progress note").click()
    page.get_by_label("Subjective", exact=True).fill(
        "Client describes a calmer, entirely fictional week."
    )
    page.get_by_label("Objective", exact=True).fill("Engaged, euthymic, on time.")
    page.get_by_label("Assessment", exact=True).fill("Worry reduced; progressing toward goal.")
    page.get_by_label("Plan", exact=True).fill("Continue weekly CBT; practise worry postponement.")
    page.get_by_label("F41.1").check()
    page.get_by_role("button", name="Save and review for signing").click()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Electronically signed by").first).to_be_visible()
    note_url = page.url

    # A signed note cannot be edited: the editor refuses and sends the reader back.
    page.goto(note_url.rstrip("/") + "/edit/")
    expect(page.get_by_text("signed and locked").first).to_be_visible()
    assert "/edit/" not in page.url

    page.get_by_label("Addendum").fill("Correction: the homework was worry postponement.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign and add addendum").click()
    expect(page.get_by_text("Correction: the homework was worry postponement.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
