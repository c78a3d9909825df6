"""A group session in a real browser (Debian's Chromium driven by Playwright, against the
real WSGI server on its own database): a clinician creates a group of three, records a
session with one no-show, writes the shared narrative once and each attending member's
part, and signs. Each attending member's chart then has their note with only their own
part; the no-show's chart has the no-show and no note."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
MEMBERS = {"Adaline Quill": "Aquamarinefalcon", "Benedict Rook": "Bronzepelican",
           "Cyrus Stave": "Cinnabarotter"}
SHARED = "Sharedtopazgroup"
SETUP = """
from psynote import testing as t
practice = t.make_practice("Browser Group Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional")
for first, last in (("Adaline", "Quill"), ("Benedict", "Rook"), ("Cyrus", "Stave")):
    t.make_client(alice, first_name=first, last_name=last)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP) as url:
        yield url


def test_a_group_session_files_each_member_s_own_note(server: str) -> None:
    from playwright.sync_api import expect

    with browser.chromium() as chromium:
        context = chromium.new_context(base_url=server)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
        page.get_by_label("Group name").fill("Tuesday skills group")
        for name in MEMBERS:
            page.get_by_label(name).check()
        page.get_by_role("button", name="Create group").click()
        expect(page.get_by_role("heading", name="Tuesday skills group")).to_be_visible()

        page.get_by_label("Date").fill((date.today() - timedelta(days=1)).isoformat())
        page.get_by_label("Start").fill("09:00")
        page.get_by_label("Stop").fill("10:30")
        page.get_by_role("button", name="Record session").click()
        page.get_by_label("Shared group narrative").fill(f"{SHARED}: grounding skills.")
        page.get_by_label("Plan (in every").fill("Practise grounding daily.")
        for number, (name, marker) in enumerate(MEMBERS.items(), 1):
            member = page.locator(f"#member-{number}")
            if name == "Cyrus Stave":
                member.get_by_label("Attendance").select_option("no_show")
            else:
                member.get_by_label("Individual part").fill(f"{marker} spoke about work.")
        page.get_by_label("Reason for a late entry").fill("Fictional late entry.")
        page.get_by_role("button", name="Sign and file in each member's chart").click()
        expect(page.get_by_text("Signed: each attending member's note")).to_be_visible()

        for name, marker in MEMBERS.items():
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
            page.get_by_role("link", name="Tuesday skills group").click()
            page.get_by_role("link", name=name, exact=True).click()
            expect(page.get_by_role("heading", name=name)).to_be_visible()
            if name == "Cyrus Stave":
                expect(page.get_by_text("No-show").first).to_be_visible()
                continue
            page.locator("a[href^='/notes/']").first.click()
            text = page.locator("main").inner_text()
            assert marker in text and SHARED in text
            others = [m for n, m in MEMBERS.items() if n != name]
            assert not any(m in text for m in others)
            assert not any(n in text for n in MEMBERS if n != name)
        context.close()
