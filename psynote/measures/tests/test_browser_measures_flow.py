"""The measurement-based-care loop in a real browser: Debian's Chromium driven by Playwright
against the real WSGI server (gunicorn) on its own fresh database. A clinician writes and signs
a treatment plan, sends a PHQ-9 link, the client answers it on a phone, and the clinician sees
the score, rates the objective in a signed progress note and finds it in the plan's trail."""

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
practice = t.make_practice("Measures Browser Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional",
                    credentials="PsyD, LP")
t.make_client(alice, first_name="Avery", last_name="Measuretest", diagnosis="F41.1")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with browser.serve(SETUP) as url:
        yield url


OBJECTIVE = "Gets out of bed by 8:00 on five mornings a week"
# Items 1-4 "More than half the days" (2), 5-8 "Several days" (1), item 9 "Not at all":
# total 12, the Moderate band (10-14), and no critical answer, so no risk alert opens.
ANSWERS = {
    **dict.fromkeys(range(1, 5), "More than half the days"),
    **dict.fromkeys(range(5, 9), "Several days"),
    9: "Not at all",
}


@pytest.fixture(name="browser")
def chromium_browser(server: str):  # type: ignore[no-untyped-def]
    with browser.chromium() as chromium:
        yield chromium


def _today() -> datetime:
    return datetime.now(ZoneInfo(os.environ.get("PSYNOTE_TIME_ZONE", "America/New_York")))


def test_clinician_plans_sends_phq9_client_answers_on_phone_and_note_rates_objective(
    browser, server: str
) -> None:
    from playwright.sync_api import expect

    clinician = browser.new_context(base_url=server)
    page = clinician.new_page()
    page.set_default_timeout(10_000)
    # Removing, signing and discarding ask for confirmation; the clinician always agrees.
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("fictional-pass-123")
    page.get_by_role("button", name="Log in").click()
    # Signing in opens the day (/today/); the caseload is one link away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    page.get_by_role("link", name=re.compile("Measuretest")).first.click()
    chart_url = page.url
    tabs = page.get_by_role("navigation", name="Chart sections")

    # The treatment plan: one problem on the chart diagnosis, one goal, one measurable objective.
    tabs.get_by_role("link", name="Treatment plan").click()
    page.get_by_role("button", name="Write the treatment plan").click()
    add_problem = page.get_by_role("region", name="Add a problem")
    add_problem.get_by_label("Diagnosis on the chart").select_option(index=1)
    add_problem.get_by_label("Problem", exact=True).fill(
        "Low mood keeps the client in bed until midday (fictional)."
    )
    add_problem.get_by_role("button", name="Add problem").click()

    problem = page.get_by_role("region", name="Problem 1")
    problem.get_by_text("Add a goal").click()
    problem.get_by_label("Goal", exact=True).fill("Regain a daily routine.")
    problem.get_by_role("button", name="Add goal").click()

    problem = page.get_by_role("region", name="Problem 1")
    problem.get_by_text("Add a measurable objective").click()
    problem.get_by_label(re.compile("^Objective")).last.fill(OBJECTIVE)
    problem.get_by_label("Baseline").last.fill("Up by 8:00 on no mornings; PHQ-9 of 18")
    problem.get_by_label("Target", exact=True).last.fill("Up by 8:00 on five mornings a week")
    target_date = (_today() + timedelta(days=90)).strftime("%Y-%m-%d")
    problem.get_by_label("Target date").last.fill(target_date)
    problem.get_by_role("button", name="Add objective").click()
    expect(page.get_by_role("heading", name="Objective 1.1.1")).to_be_visible()

    agreement = page.get_by_role("region", name="Client's agreement and review")
    agreement.get_by_label("Date the client agreed to this plan").fill(
        _today().strftime("%Y-%m-%d")
    )
    agreement.get_by_label("How the client agreed").select_option(
        label="Verbal agreement, recorded here"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Ready to sign.")).to_be_visible()
    page.get_by_role("button", name="Sign version 1").click()
    expect(page.get_by_text("Electronically signed by").first).to_be_visible()
    expect(page.get_by_text(OBJECTIVE)).to_be_visible()

    # A PHQ-9 self-report link, copied from the page where it is shown once.
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Measures"
    ).click()
    page.get_by_label("Measure", exact=True).last.select_option(label="PHQ-9")
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("Link", exact=True).input_value()
    assert "/r/" in link

    # The client, on a phone, with no account and no session of the clinician's.
    phone = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    mobile.goto(link)
    expect(mobile.get_by_role("heading", name="Patient Health Questionnaire-9")).to_be_visible()
    expect(mobile.get_by_text("Measuretest")).to_have_count(0)
    for number, answer in ANSWERS.items():
        question = mobile.get_by_role("group", name=re.compile(rf"^{number}\."))
        question.get_by_label(answer, exact=True).check()
    mobile.get_by_role("button", name="Send my answers").click()
    expect(mobile.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.close()

    # Back with the clinician: the score, its severity band and the trend chart.
    page.reload()
    phq9 = page.get_by_role("region", name=re.compile("^PHQ-9"))
    expect(phq9.get_by_role("cell", name="12", exact=True)).to_be_visible()
    expect(phq9.get_by_role("cell", name="Moderate", exact=True)).to_be_visible()
    expect(phq9.locator("svg[role=img]")).to_be_visible()

    # A session and a signed progress note that works on the objective.
    page.goto(chart_url)
    page.get_by_role("link", name="Record a session").first.click()
    page.get_by_label("Date").fill((_today() - timedelta(days=1)).strftime("%Y-%m-%d"))
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Stop time").fill("10:50")
    page.get_by_label("Attendance").select_option("attended")
    page.get_by_role("button", name="Record session").click()
    page.get_by_label("SOAP").check()
    page.get_by_role("button", name="Write progress note").click()
    page.get_by_label("Subjective", exact=True).fill("Up before 8:00 on three mornings.")
    page.get_by_label("Objective", exact=True).fill("Brighter affect, on time.")
    page.get_by_label("Assessment", exact=True).fill("PHQ-9 of 12, down from 18.")
    page.get_by_label("Plan", exact=True).fill("Keep the morning routine; review in two weeks.")
    page.get_by_label("F41.1").check()
    rating = page.get_by_role("group", name=re.compile(re.escape(OBJECTIVE)))
    rating.get_by_label("Progress").select_option(label="Progressing")
    rating.get_by_label("Comment").fill("Three mornings out of five this week.")
    page.get_by_role("button", name="Save and review for signing").click()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Electronically signed by").first).to_be_visible()

    # The plan shows the note in the objective's trail.
    page.goto(chart_url)
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Treatment plan"
    ).click()
    objective = page.get_by_role("listitem").filter(has_text=OBJECTIVE)
    expect(objective.get_by_text("Progressing")).to_be_visible()
    expect(objective.get_by_text("Three mornings out of five this week.")).to_be_visible()
    clinician.close()
