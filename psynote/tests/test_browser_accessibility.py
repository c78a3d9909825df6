"""WCAG 2.1 AA in a real browser, on the fictional demo practice: every main page, each
role's pages and the forms' error states pass axe-core (WCAG 2.0/2.1 A and AA rules) at
1280 and at 320 CSS pixels, reflow at 320 px with nothing but a data table's own box
scrolling sideways (SC 1.4.10), and name only ids that exist in their ARIA references.
A skip link and a visible focus outline come first for keyboard users (SC 2.4.1, 2.4.7).

Debian's Chromium driven by Playwright against the real WSGI server (gunicorn) on its own
fresh database; axe-core is the copy vendored in psynote/lib/tests/vendor/axe-core."""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from psynote.lib.tests import accessibility, browser

pytestmark = pytest.mark.browser

# The demo practice, and a few records its story leaves out, chosen by what they are (not
# by name); their addresses go to a file the tests read.
SETUP = """
import json
from datetime import date
from django.urls import reverse
from psynote.accounts.models import Role, User
from psynote.demo.runner import load
from psynote.demo.story import PASSWORD, STAFF
from psynote.exchange import actions as exchange_actions
from psynote.measures import actions as measure_actions
from psynote.measures.models import Administration, RiskAlert
from psynote.notes import actions as note_actions
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.plans import actions as plan_actions
from psynote.plans.models import PlanVersion
from psynote.visits.models import Session

load()
def login_of(role):
    return next(username for username, r, *_ in STAFF if r == role)
user = User.objects.get(username=login_of(Role.CLINICIAN))
mine = dict(client__care_team__user=user)
draft = ProgressNote.objects.drafts().filter(author=user).first()
amended = Addendum.objects.filter(note__author=user).first().note
counts = {}
for a in Administration.objects.filter(**mine):
    counts[a.client_id] = counts.get(a.client_id, 0) + 1
measured = max(counts, key=counts.get)
at_risk = RiskAlert.objects.open().filter(**mine).first().client
pnote = PsychotherapyNote.objects.filter(author=user).first()
waiting = Session.objects.filter(clinician=user, attendance="attended",
                                 progress_note__isnull=True).first()
empty = note_actions.start_note(by=user, session=waiting, template="soap")
client = Administration.objects.filter(client_id=measured).first().client
signed_plan = PlanVersion.objects.signed().filter(plan__client=client).last()
plan_actions.start_version(by=user, client=client)
tokens = [measure_actions.create_self_report_link(by=user, client=client,
                                                  instrument_key="phq9")[1] for _ in range(4)]
authorization = exchange_actions.create_authorization(
    by=user, client=client, recipient_name="Dr Rowan Fictional", purpose="Continuing care",
    expires_on=date(2099, 1, 1), scope={"diagnoses"}, signed_form=b"%PDF-1.4\\n%%EOF\\n")
from datetime import time
from psynote.visits import actions as visit_actions
later = visit_actions.create_session(by=user, client=client, clinician=user, date=date.today(),
                                     start_time=time(23, 0), end_time=time(23, 50),
                                     attendance="attended")
from psynote import testing as t
from psynote.clients.models import Client
from psynote.groups import actions as group_actions
from psynote.visits import participants
two = list(Client.objects.filter(**{"care_team__user": user}).distinct()[:2])
group = group_actions.create_group(by=user, name="Fictional skills group", members=two)
group_session = group_actions.create_group_session(
    by=user, group=group, date=date(2026, 1, 5), start_time=time(9), end_time=time(10))
family = t.make_session(client, user, service="family_with_client", day=date(2026, 1, 6))
participants.add_participant(by=user, session=family, role="partner", name="Fictional Partner")
from datetime import time, timedelta
from django.utils import timezone as tz
from psynote.visits import calendar_actions
booked = calendar_actions.book_appointments(
    by=user, client=client, clinician=user, first=tz.localdate() + timedelta(days=1),
    start_time=time(7, 0), end_time=time(7, 50), repeat="weekly", count=3,
    allow_double_booking=True)[0]
c = {"client_id": client.pk}
urls = {
    "group": reverse("group_detail", kwargs={"group_id": group.pk}),
    "group_session": reverse("group_session", kwargs={"group_session_id": group_session.pk}),
    "participants": reverse("session_participants", kwargs={"session_id": family.pk}),
    "handoff": reverse("handoff_summary", kwargs=c),
    "note_start_carry": reverse("note_start", kwargs={"session_id": later.pk}),
    "chart": reverse("client_chart", kwargs=c),
    "chart_at_risk": reverse("client_chart", kwargs={"client_id": at_risk.pk}),
    "client_edit": reverse("client_edit", kwargs=c),
    "diagnosis_add": reverse("diagnosis_add", kwargs=c),
    "care_team": reverse("care_team", kwargs=c),
    "session_new": reverse("session_new", kwargs=c),
    "session_detail": reverse("session_detail", kwargs={"session_id": amended.session_id}),
    "session_edit": reverse("session_edit", kwargs={"session_id": waiting.pk}),
    "note_edit": reverse("note_edit", kwargs={"note_id": draft.pk}),
    "note_draft": reverse("note_detail", kwargs={"note_id": draft.pk}),
    "note_sign": reverse("note_sign", kwargs={"note_id": draft.pk}),
    "note_sign_missing": reverse("note_sign", kwargs={"note_id": empty.pk}),
    "note_signed": reverse("note_detail", kwargs={"note_id": amended.pk}),
    "psychotherapy_notes": reverse("psychotherapy_note_list",
                                   kwargs={"client_id": pnote.client_id}),
    "psychotherapy_note": reverse("psychotherapy_note_detail", kwargs={"pnote_id": pnote.pk}),
    "plan": reverse("plan_detail", kwargs=c),
    "plan_edit": reverse("plan_edit", kwargs=c),
    "plan_version": reverse("plan_version", kwargs={"version_id": signed_plan.pk}),
    "measures": reverse("measures_client", kwargs=c),
    "measures_at_risk": reverse("measures_client", kwargs={"client_id": at_risk.pk}),
    "administer": reverse("measure_administer", kwargs={**c, "key": "phq9"}),
    "self_report": reverse("self_report", kwargs={"token": tokens[0]}),
    "self_report_errors": reverse("self_report", kwargs={"token": tokens[1]}),
    "self_report_done": reverse("self_report", kwargs={"token": tokens[2]}),
    "self_report_used": reverse("self_report", kwargs={"token": tokens[3]}),
    "authorizations": reverse("authorization_list", kwargs=c),
    "authorization_new": reverse("authorization_new", kwargs=c),
    "authorization": reverse("authorization_detail",
                             kwargs={"authorization_id": authorization.pk}),
    "disclose": reverse("disclosure_new", kwargs=c),
    "accounting": reverse("disclosure_accounting", kwargs=c),
    "rights": reverse("client_rights", kwargs=c),
    "appointment_new": reverse("appointment_new", kwargs=c),
    "reschedule": reverse("session_reschedule", kwargs={"session_id": booked.pk}),
    "cancel": reverse("session_cancel", kwargs={"session_id": booked.pk}),
    "calendar": reverse("calendar_week") + f"?date={booked.date:%Y-%m-%d}",
}
logins = {"clinician": user.username, "privacy": login_of(Role.PRIVACY),
          "admin": login_of(Role.ADMIN), "frontdesk": login_of(Role.FRONT_DESK)}
# Their roles sign in with a second factor: an authenticator the test holds the key of.
from django.utils import timezone
from psynote.accounts import mfa
from psynote.accounts.models import TotpDevice
from psynote.accounts.actions import create_operator
logins["operator"] = create_operator(by=None, username="fictional-operator",
                                     password=PASSWORD).username
for role in ("privacy", "admin", "operator"):
    someone = User.objects.get(username=logins[role])
    TotpDevice.objects.create(user=someone, secret_sealed=mfa.seal_secret(someone.pk, TOTP),
                              confirmed_at=timezone.now())
open(OUT, "w").write(json.dumps({"urls": urls, "logins": logins, "password": PASSWORD}))
"""
TOTP = pyotp.random_base32()  # privacy officer's and admin's authenticator key


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("accessibility") / "demo.json"
    with browser.serve(f"OUT = {str(out)!r}\nTOTP = {TOTP!r}\n{SETUP}") as url:
        yield {"base": url, **json.loads(Path(out).read_text())}


@pytest.fixture(scope="module")
def chromium(demo: dict[str, Any]) -> Iterator[Any]:
    with browser.chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def pages(chromium: Any, demo: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One page per role ("anonymous": signed out; "role:why" a second one of that role's
    own), signed in when first asked for."""
    opened: dict[str, Any] = {}
    contexts: list[Any] = []

    def page_for(role: str) -> Any:
        if role not in opened:
            context = chromium.new_context(base_url=demo["base"], viewport=accessibility.WIDE)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.on("dialog", lambda dialog: dialog.accept())
            if not role.startswith("anonymous"):
                page.goto("/login/")
                page.get_by_label("Username").fill(demo["logins"][role.split(":")[0]])
                page.get_by_label("Password").fill(demo["password"])
                page.get_by_role("button", name="Log in").click()
                if role in ("privacy", "admin", "operator"):
                    _second_factor(page)
                page.get_by_role("banner").get_by_role("button", name="Log out").wait_for()
            opened[role] = page
        return opened[role]

    yield page_for  # type: ignore[misc]
    for context in contexts:
        context.close()


def _second_factor(page: Any, code: str | None = None) -> None:
    page.get_by_label("Code", exact=True).fill(code or pyotp.TOTP(TOTP).now())
    page.get_by_role("button", name="Sign in").click()


def _code_step(wrong: bool) -> Callable[[Any, dict], None]:
    """The privacy officer's second step of signing in (a fresh page: signed out)."""

    def reach(page: Any, urls: dict) -> None:
        page.context.clear_cookies()
        page.goto("/login/")
        page.get_by_label("Username").fill(urls["_logins"]["privacy"])
        page.get_by_label("Password").fill(urls["_password"])
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Code", exact=True).wait_for()
        if wrong:
            with page.expect_navigation():
                _second_factor(page, "000000")

    return reach


def _submit_without_checks(page: Any, button: str) -> None:
    """Post a form as a browser without HTML validation would: the server's errors."""
    page.evaluate("document.querySelectorAll('form').forEach((f) => { f.noValidate = true; })")
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()


def _go(key: str) -> Callable[[Any, dict], None]:
    return lambda page, urls: page.goto(urls[key])


def _path(path: str) -> Callable[[Any, dict], None]:
    return lambda page, urls: page.goto(path)


def _errors(key: str, button: str) -> Callable[[Any, dict], None]:
    def reach(page: Any, urls: dict) -> None:
        page.goto(urls.get(key, key))
        _submit_without_checks(page, button)

    return reach


def _search_results(page: Any, urls: dict) -> None:
    page.goto("/search/")
    page.locator("#id_q").fill("sleep")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("heading", name="Progress notes").wait_for()


def _login_error(page: Any, urls: dict) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()


def _answer(page: Any, url: str) -> None:
    page.goto(url)
    for question in page.locator("fieldset.question").all():
        question.get_by_role("radio").first.check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()


def _self_report_done(page: Any, urls: dict) -> None:
    _answer(page, urls["self_report_done"])


def _self_report_used(page: Any, urls: dict) -> None:
    _answer(page, urls["self_report_used"])
    page.goto(urls["self_report_used"])


def _user_edit(page: Any, urls: dict) -> None:
    page.goto("/users/")
    page.locator("main table a").first.click()
    page.get_by_role("button", name="Save").wait_for()


def _first_template(then: str) -> Callable[[Any, dict], None]:
    def reach(page: Any, urls: dict) -> None:
        page.goto("/note-templates/")
        href = page.locator("main table a").first.get_attribute("href")
        page.goto(href + then)

    return reach


def _addendum_error(page: Any, urls: dict) -> None:
    page.goto(urls["note_signed"])
    _submit_without_checks(page, "Sign and add addendum")


def _audit_verified(page: Any, urls: dict) -> None:
    page.goto("/audit/")
    page.get_by_role("button", name="Verify integrity").click()
    page.wait_for_load_state()


def _signed_out_notice(page: Any, urls: dict) -> None:
    """The note editor once a save met a signed-out session: its notice and buttons."""
    page.goto(urls["note_edit"])
    other = page.context.new_page()
    other.goto("/account/")
    other.get_by_role("banner").get_by_role("button", name="Log out").click()
    # Left open: closing a tab straight after its log-out navigation has hung Chromium.
    other.wait_for_url("**/login/**")
    page.bring_to_front()
    page.get_by_label(re.compile("^Subjective|^Data|^Behavior|^Goal")).first.press_sequentially(
        " More."
    )
    page.get_by_text("Not saved: you are signed out").wait_for()


def _hours_targets(page: Any, urls: dict) -> None:
    page.goto("/hours/")
    page.get_by_role("link", name="Licence and targets").click()
    page.get_by_role("button", name="Save").wait_for()


def _operator_verified(page: Any, urls: dict) -> None:
    page.goto("/operator/practices/")
    page.get_by_role("button", name="Verify every audit chain now").click()
    page.wait_for_load_state()


def _operator_created(page: Any, urls: dict) -> None:
    page.goto("/operator/practices/new/")
    page.get_by_label("Practice name").fill("Fictional Accessible Practice")
    page.get_by_label("First admin's username").fill("fictional-first-admin")
    page.get_by_label("First admin's email").fill("first-admin@example.invalid")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the practice").click()


# Page state → (who, how to reach it).
STATES: dict[str, tuple[str, Callable[[Any, dict], None]]] = {
    "login": ("anonymous", _path("/login/")),
    "login with an error": ("anonymous", _login_error),
    "self-report": ("anonymous", _go("self_report")),
    "self-report with errors": ("anonymous", _errors("self_report_errors", "Send my answers")),
    "self-report sent": ("anonymous", _self_report_done),
    "self-report link used": ("anonymous", _self_report_used),
    "two-factor code": ("anonymous:code", _code_step(wrong=False)),
    "two-factor code with an error": ("anonymous:code", _code_step(wrong=True)),
    "caseload": ("clinician", _path("/caseload/")),
    "caseload outcomes": ("clinician", _path("/caseload/outcomes/")),
    "clients": ("clinician", _path("/clients/")),
    "new client": ("clinician", _path("/clients/new/")),
    "new client with errors": ("clinician", _errors("/clients/new/", "Add client")),
    "chart": ("clinician", _go("chart")),
    "chart with a risk alert": ("clinician", _go("chart_at_risk")),
    "client details": ("clinician", _go("client_edit")),
    "add a diagnosis": ("clinician", _go("diagnosis_add")),
    "new session": ("clinician", _go("session_new")),
    "new session with errors": ("clinician", _errors("session_new", "Record session")),
    "session": ("clinician", _go("session_detail")),
    "edit session": ("clinician", _go("session_edit")),
    "note editor": ("clinician", _go("note_edit")),
    "draft note": ("clinician", _go("note_draft")),
    "sign page": ("clinician", _go("note_sign")),
    "sign page listing what is missing": ("clinician", _go("note_sign_missing")),
    "signed note with an addendum": ("clinician", _go("note_signed")),
    "addendum with errors": ("clinician", _addendum_error),
    "psychotherapy notes": ("clinician", _go("psychotherapy_notes")),
    "psychotherapy note with errors": (
        "clinician", _errors("psychotherapy_notes", "Save psychotherapy note")),
    "psychotherapy note": ("clinician", _go("psychotherapy_note")),
    "treatment plan": ("clinician", _go("plan")),
    "treatment plan draft": ("clinician", _go("plan_edit")),
    "treatment plan draft with errors": ("clinician", _errors("plan_edit", "Add problem")),
    "treatment plan version": ("clinician", _go("plan_version")),
    "measures": ("clinician", _go("measures")),
    "hand-off summary": ("clinician", _go("handoff")),
    "new note with copy-forward": ("clinician", _go("note_start_carry")),
    "measures with a risk alert": ("clinician", _go("measures_at_risk")),
    "administer a measure": ("clinician", _go("administer")),
    "administer a measure with errors": ("clinician", _errors("administer", "Score and save")),
    "authorizations": ("clinician", _go("authorizations")),
    "new authorization with errors": (
        "clinician", _errors("authorization_new", "Record authorization")),
    "authorization": ("clinician", _go("authorization")),
    "disclose": ("clinician", _go("disclose")),
    "disclose with errors": ("clinician", _errors("disclose", "Disclose and download the package")),
    "accounting of disclosures": ("clinician", _go("accounting")),
    "client's requests": ("clinician", _go("rights")),
    "requests overview": ("clinician", _path("/records/")),
    "export signing key": ("clinician", _path("/practice-key/")),
    "my account": ("clinician", _path("/account/")),
    "password change with errors": ("clinician", _errors("/account/", "Change password")),
    "set up two-factor sign-in": ("clinician", _path("/account/two-factor/")),
    "set up two-factor sign-in with errors": (
        "clinician", _errors("/account/two-factor/", "Turn on two-factor sign-in")),
    "signed in again": ("clinician", _path("/session/signed-in/")),
    "emergency access search": ("clinician", _path("/emergency-access/search/")),
    "today": ("clinician", _path("/today/")),
    "calendar week": ("clinician", _go("calendar")),
    "calendar day": ("clinician", _path("/calendar/day/")),
    "calendar feed": ("clinician", _path("/calendar/feed/")),
    "book an appointment": ("clinician", _go("appointment_new")),
    "book an appointment with errors": ("clinician", _errors("appointment_new", "Book")),
    "reschedule a session": ("clinician", _go("reschedule")),
    "cancel a session with errors": ("clinician", _errors("cancel", "Cancel session")),
    "front desk's calendar": ("frontdesk", _go("calendar")),
    "search notes": ("clinician", _path("/search/")),
    "search results": ("clinician", _search_results),
    "audit log": ("privacy", _path("/audit/")),
    "audit log verified": ("privacy", _audit_verified),
    "disclosure log": ("privacy", _path("/disclosures/")),
    "retention": ("privacy", _path("/records/retention/")),
    "emergency access list": ("privacy", _path("/emergency-access/")),
    "users": ("admin", _path("/users/")),
    "new user with errors": ("admin", _errors("/users/new/", "Add user")),
    "edit a user": ("admin", _user_edit),
    "care team": ("admin", _go("care_team")),
    "practice security": ("admin", _path("/practice/security/")),
    "practice details": ("admin", _path("/practice/details/")),
    "note templates": ("admin", _path("/note-templates/")),
    "new note template with errors": (
        "admin", _errors("/note-templates/new/", "Add the template")),
    "note template": ("clinician", _first_template("")),
    "edit a note template": ("admin", _first_template("edit/")),
    "front desk's clients": ("frontdesk", _path("/clients/")),
    "supervision hours": ("clinician", _path("/hours/")),
    "log supervision with errors": ("clinician", _errors("/hours/entries/new/", "Log entry")),
    "hour targets": ("clinician", _hours_targets),
    "check an hours report": ("clinician", _path("/hours/reports/verify/")),
    "licence types": ("admin", _path("/hours/licence-types/")),
    "groups": ("clinician", _path("/groups/")),
    "new group with errors": ("clinician", _errors("/groups/", "Create group")),
    "group": ("clinician", _go("group")),
    "group session": ("clinician", _go("group_session")),
    "session participants": ("clinician", _go("participants")),
    "operator's practices": ("operator", _path("/operator/practices/")),
    "operator's practices verified": ("operator", _operator_verified),
    "operator's new practice with errors": (
        "operator", _errors("/operator/practices/new/", "Create the practice")),
    "operator's new practice created": ("operator", _operator_created),
    "page not found": ("clinician", _path("/no-such-page/")),
    "note editor, signed out": ("clinician:signs out", _signed_out_notice),
}


@pytest.mark.parametrize("state", list(STATES))
def test_page_state_meets_wcag_21_aa(state: str, pages: Any, demo: dict[str, Any]) -> None:
    role, reach = STATES[state]
    page = pages(role)
    reach(page, {**demo["urls"], "_logins": demo["logins"], "_password": demo["password"]})
    assert page.locator("main h1, main [role=alert], main .session-notice").count() > 0, page.url
    found = accessibility.problems(page)
    assert not found, f"{state} ({page.url}):\n{json.dumps(found, indent=1)}"


def test_keyboard_users_skip_to_the_content_and_see_where_focus_is(
    pages: Any, demo: dict[str, Any]
) -> None:
    page = pages("clinician")
    page.goto(demo["urls"]["chart"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 1  # on screen once focused
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the first link in the content, with its outline
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
