"""A clinician's week in a real browser: Debian's Chromium driven by Playwright against the
real WSGI server (gunicorn) on its own fresh database. She books a weekly appointment,
sees it in her week, moves one occurrence, is warned before double-booking, and her day
counts what she owes exactly once."""

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

# A session held yesterday without a note, and one two days ago with a draft: one thing
# each on the day's list, not two for the draft.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from psynote import testing as t
practice = t.make_practice("Calendar Browser Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional")
client = t.make_client(alice, first_name="Avery", last_name="Calendartest")
today = timezone.localdate()
t.make_session(client, alice, day=today - timedelta(days=1))
t.make_note(t.make_session(client, alice, day=today - timedelta(days=2)))
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


def _count(page, heading: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name=re.compile(f"^{re.escape(heading)}"))


def test_a_clinicians_week_with_a_recurring_appointment(page) -> None:
    from playwright.sync_api import expect

    today = datetime.now(ZoneInfo(os.environ.get("PSYNOTE_TIME_ZONE", "America/New_York")))
    tomorrow = (today + timedelta(days=1)).date()

    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("fictional-pass-123")
    page.get_by_role("button", name="Log in").click()
    # Home is the day: the draft counts once, as a draft.
    expect(page.get_by_role("heading", name=re.compile("^Today,"))).to_be_visible()
    expect(_count(page, "Sessions without a note")).to_contain_text("(1)")
    expect(_count(page, "Drafts to finish and sign")).to_contain_text("(1)")
    expect(_count(page, "Tomorrow's sessions")).to_contain_text("(0)")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    page.get_by_role("link", name=re.compile("Calendartest")).first.click()
    page.get_by_role("link", name="Book appointment").click()
    page.get_by_label("First session").fill(tomorrow.isoformat())
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("Stop time").fill("09:50")
    page.get_by_label("Repeat").select_option("weekly")
    page.get_by_label("Number of sessions").fill("4")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("4 sessions booked")).to_be_visible()

    # The week holding tomorrow shows the first occurrence; each next week shows one more.
    day = page.get_by_role("region", name=re.compile(tomorrow.strftime("%A %Y-%m-%d")))
    expect(day.get_by_role("row", name=re.compile("09:00–09:50 Avery Calendartest"))) \
        .to_be_visible()
    for _ in range(3):
        page.get_by_role("link", name="Next week ›").click()
        expect(page.locator("tr[data-session]")).to_have_count(1)
    page.get_by_role("link", name="Next week ›").click()
    expect(page.locator("tr[data-session]")).to_have_count(0)

    # Move the first occurrence to 11:00; the others stay at 09:00.
    page.goto(f"/calendar/?date={tomorrow.isoformat()}")
    day = page.get_by_role("region", name=re.compile(tomorrow.strftime("%A %Y-%m-%d")))
    day.get_by_role("link", name=re.compile("^Reschedule")).click()
    expect(page.get_by_text("This moves this session only")).to_be_visible()
    page.get_by_label("Start time").fill("11:00")
    page.get_by_label("Stop time").fill("11:50")
    page.get_by_role("button", name="Move session").click()
    expect(page.get_by_text(f"Session moved to {tomorrow.isoformat()}")).to_be_visible()
    day = page.get_by_role("region", name=re.compile(tomorrow.strftime("%A %Y-%m-%d")))
    expect(day.get_by_role("row", name=re.compile("11:00–11:50"))).to_be_visible()
    expect(day.get_by_role("row", name=re.compile("09:00"))).to_have_count(0)
    page.get_by_role("link", name="Next week ›").click()
    expect(page.get_by_role("row", name=re.compile("09:00–09:50"))).to_be_visible()

    # Booking over the moved session warns first, and books once confirmed.
    page.goto("/caseload/")
    page.get_by_role("link", name=re.compile("Calendartest")).first.click()
    page.get_by_role("link", name="Book appointment").click()
    page.get_by_label("First session").fill(tomorrow.isoformat())
    page.get_by_label("Start time").fill("11:30")
    page.get_by_label("Stop time").fill("12:20")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("already has 1 session at that time")).to_be_visible()
    page.get_by_label("Book anyway").check()
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("The appointment booked")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(_count(page, "Tomorrow's sessions")).to_contain_text("(2)")
    expect(_count(page, "Sessions without a note")).to_contain_text("(1)")
    expect(_count(page, "Drafts to finish and sign")).to_contain_text("(1)")
