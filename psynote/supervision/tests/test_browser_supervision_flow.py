"""Approve-before-record supervision in a real browser: Debian's Chromium driven by
Playwright against the real WSGI server (gunicorn) on its own fresh database.

sue, a pre-licensed clinician whose supervisor sam must approve her notes, writes a note
and marks it ready; sam returns it with a comment on its Plan; sue revises and signs; sam
approves. The note is in a colleague's view of the chart and in a disclosure package only
after the approval."""

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
RECIPIENT = "Dr Rowan Fictional"

SETUP = f"""
from datetime import date
from psynote import testing as t
from psynote.accounts.models import Role
from psynote.exchange import actions as exchange_actions
from psynote.supervision.models import Mode
practice = t.make_practice("Browser Supervision Practice (fictional)")
sam = t.make_user(practice, "sam", Role.SUPERVISOR, first_name="Sam", last_name="Fictional",
                  credentials="PhD, LP")
sue = t.make_user(practice, "sue", first_name="Sue", last_name="Fictional",
                  credentials="MA, LPCA", supervisor=sam,
                  supervision_mode=Mode.APPROVE_BEFORE_RECORD)
bob = t.make_user(practice, "bob", first_name="Bob", last_name="Fictional", credentials="LCSW")
client = t.make_client(sue, first_name="Avery", last_name="Supervisiontest", diagnosis="F41.1")
client.care_team.create(user=bob, role="clinician")
exchange_actions.create_authorization(
    by=sue, client=client, recipient_name="{RECIPIENT}", purpose="Care (fictional)",
    expires_on=date(2099, 1, 1), scope={{"diagnoses", "progress_notes"}},
    signed_on_screen_name="Avery Supervisiontest")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP) as url:
        yield url


@pytest.fixture(name="chromium")
def chromium_browser(server: str):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        yield chromium


def _logged_in(chromium, server: str, username: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=server, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/caseload/")  # clinicians land on their day (/today/); the flow starts here
    return page


def _disclosed_notes(page, chart_url: str) -> int:  # type: ignore[no-untyped-def]
    """Disclose the record under the client's authorization; the number of progress
    notes in the signed package."""
    page.goto(chart_url)
    page.get_by_role("link", name="Authorizations and disclosures").click()
    page.get_by_role("link", name="Disclose the record…").click()
    chooser = page.get_by_label("Client's authorization")
    chooser.select_option(chooser.locator("option", has_text=RECIPIENT).get_attribute("value"))
    page.get_by_label("Progress notes (signed)").check()
    page.get_by_label("Format").select_option("fhir-bundle")
    with page.expect_download() as caught:
        page.get_by_role("button", name="Disclose and download the package").click()
    with open(caught.value.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = json.loads(archive.read("manifest.json"))
    bundle = json.loads(archive.read("bundle.json"))
    documents = [e for e in bundle.get("entry", [])
                 if e["resource"]["resourceType"] == "DocumentReference"]
    assert len(documents) == len(manifest["signed_records"].get("progress_notes", {}))
    return len(documents)


def test_supervisee_revises_and_the_note_enters_the_record_only_when_approved(
    chromium, server: str
) -> None:
    from playwright.sync_api import expect

    # sue records yesterday's session and writes its note, then asks for review.
    sue = _logged_in(chromium, server, "sue")
    sue.get_by_role("link", name=re.compile("Supervisiontest")).first.click()
    chart_url = sue.url
    sue.get_by_role("link", name="Record a session").first.click()
    # Yesterday in the practice's time zone: held, and well inside the late-entry window.
    today = datetime.now(ZoneInfo(os.environ.get("PSYNOTE_TIME_ZONE", "America/New_York")))
    sue.get_by_label("Date").fill((today - timedelta(days=1)).strftime("%Y-%m-%d"))
    sue.get_by_label("Start time").fill("10:00")
    sue.get_by_label("Stop time").fill("10:50")
    sue.get_by_label("Attendance").select_option("attended")
    sue.get_by_role("button", name="Record session").click()
    sue.get_by_label("SOAP").check()
    sue.get_by_role("button", name="Write progress note").click()
    sue.get_by_label("Subjective", exact=True).fill("Client reports a fictional, calmer week.")
    sue.get_by_label("Objective", exact=True).fill("Engaged and on time.")
    sue.get_by_label("Assessment", exact=True).fill("Worry reduced.")
    sue.get_by_label("Plan", exact=True).fill("Continue.")
    sue.get_by_label("F41.1").check()
    sue.get_by_role("button", name="Save and review for signing").click()
    expect(sue).to_have_url(re.compile(r"/notes/[0-9a-f-]+/sign/$"))
    note_url = re.sub(r"sign/$", "", sue.url)
    sue.goto(note_url)
    sue.get_by_role("button", name="Mark ready for review").click()
    expect(sue.get_by_text("Marked ready for review").first).to_be_visible()

    # sam finds it in his queue and returns it with a comment on the Plan.
    sam = _logged_in(chromium, server, "sam")
    sam.goto("/supervision/")
    sam.get_by_role("link", name=re.compile("Supervisiontest")).click()
    sam.get_by_label("Plan", exact=True).fill("Name the homework and the next step.")
    sam.get_by_role("button", name="Return with comments").click()
    expect(sam.get_by_text("Returned for revision with your comments.")).to_be_visible()

    # sue sees it returned first, reads the comment, revises and signs.
    sue.goto("/supervision/")
    returned = sue.get_by_role("region", name="Returned to you for revision")
    returned.get_by_role("link", name=re.compile("Supervisiontest")).click()
    expect(sue.get_by_text("Name the homework and the next step.")).to_be_visible()
    sue.get_by_role("link", name="Edit draft").click()
    sue.get_by_label("Plan", exact=True).fill("Homework: worry postponement; review next week.")
    sue.get_by_role("button", name="Save and review for signing").click()
    sue.once("dialog", lambda dialog: dialog.accept())
    sue.get_by_role("button", name="Sign and lock").click()
    expect(sue.get_by_text("Not part of the record yet.")).to_be_visible()

    # Pending: bob, on the care team, sees no signed note; a disclosure carries none.
    bob = _logged_in(chromium, server, "bob")
    bob.goto(chart_url)
    expect(bob.get_by_text("Awaiting supervisor approval").first).to_be_visible()
    assert bob.goto(note_url).status == 404
    assert _disclosed_notes(sue, chart_url) == 0

    # sam approves: the note enters the record with his signature under it.
    sam.goto("/supervision/")
    sam.get_by_role("link", name=re.compile("Supervisiontest")).click()
    sam.once("dialog", lambda dialog: dialog.accept())
    sam.get_by_role("button", name="Approve and sign").click()
    expect(sam.get_by_text("Approved by supervisor by").first).to_be_visible()

    bob.goto(note_url)
    expect(bob.get_by_text("Homework: worry postponement; review next week.")).to_be_visible()
    expect(bob.get_by_text("Approved by supervisor by").first).to_be_visible()
    assert _disclosed_notes(sue, chart_url) == 1
    for page in (sue, sam, bob):
        page.context.close()
