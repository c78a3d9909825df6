"""Issue 11 in a real browser (Debian's Chromium through Playwright, against gunicorn on a
fresh database): copy-forward of two sections, the hand-off summary, and printing a signed
note (print stylesheet, and the PDF for the care team's own use)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from psynote import testing as t
from psynote.notes import actions as note_actions
practice = t.make_practice("Browser Carry Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
client = t.make_client(alice, first_name="Avery", last_name="Carrytest", diagnosis="F41.1")
today = timezone.localdate()
before = t.make_note(t.make_session(client, alice, day=today - timedelta(days=7)), sections={
    "subjective": "Fictional report from last week.",
    "objective": "Fictional calm presentation.",
    "assessment": "Fictional assessment worth carrying.",
    "plan": "Fictional plan worth carrying.",
})
signed = note_actions.sign_note(by=alice, note=before, late_reason="Fictional delay.")
note_actions.add_addendum(by=alice, note=signed, body="Fictional later information.")
session = t.make_session(client, alice, day=today)
open(OUT, "w").write(json.dumps({"session": str(session.pk), "note": str(signed.pk),
                                 "client": str(client.pk)}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("carry") / "ids.json"
    with browser.serve(f"OUT = {str(out)!r}\n{SETUP}") as url:
        yield {"base": url, **json.loads(Path(out).read_text())}


@pytest.fixture
def page(server: dict[str, Any]):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        context = chromium.new_context(base_url=server["base"], accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("fictional-pass-123")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/today/")
        yield page
        context.close()


def test_copy_forward_of_two_sections(page, server) -> None:
    from playwright.sync_api import expect

    page.goto(f"/sessions/{server['session']}/note/")
    expect(page.get_by_text("Carry forward from the last signed note")).to_be_visible()
    page.get_by_role("checkbox", name="Assessment", exact=True).check()
    page.get_by_role("checkbox", name="Plan", exact=True).check()
    page.get_by_role("button", name="Start the note").click()
    expect(page.get_by_role("heading", name="Progress note draft")).to_be_visible()
    assert page.locator("#id_section_plan").input_value() == "Fictional plan worth carrying."
    assert page.locator("#id_section_assessment").input_value() == (
        "Fictional assessment worth carrying.")
    assert page.locator("#id_section_subjective").input_value() == ""
    marks = page.locator("[data-carried-mark]")
    expect(marks).to_have_count(2)
    # The first edit clears the plan's mark; the assessment stays marked as carried.
    page.locator("#id_section_plan").press_sequentially(" Revised.")
    expect(page.locator("#help_section_plan [data-carried-mark]")).to_be_hidden()
    expect(page.locator("#help_section_assessment [data-carried-mark]")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("[data-carried-mark]")).to_have_count(1)


def test_hand_off_summary(page, server) -> None:
    from playwright.sync_api import expect

    page.goto(f"/clients/{server['client']}/")
    page.get_by_role("link", name="Hand-off summary").click()
    expect(page.get_by_role("heading", name="Hand-off summary · Avery Carrytest")).to_be_visible()
    for heading in ("Current diagnoses", "Treatment plan in force", "Measures",
                    "Recent assessments and plans", "Upcoming sessions"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("Fictional plan worth carrying.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF (for the care team)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_printing_a_signed_note(page, server) -> None:
    from playwright.sync_api import expect

    page.goto(f"/notes/{server['note']}/")
    nav = page.get_by_role("navigation", name="Main")
    download_link = page.get_by_role("link", name="Download PDF (for your own use)")
    expect(nav).to_be_visible()
    expect(download_link).to_be_visible()
    page.emulate_media(media="print")
    expect(nav).to_be_hidden()
    expect(download_link).to_be_hidden()
    expect(page.get_by_role("button", name="Sign and add addendum")).to_be_hidden()
    # The record itself still prints: the sections, the addendum and the signatures.
    expect(page.get_by_text("Fictional later information.")).to_be_visible()
    expect(page.get_by_text("Electronically signed by").first).to_be_visible()
    expect(page.get_by_text("for internal use by the care team")).to_be_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
