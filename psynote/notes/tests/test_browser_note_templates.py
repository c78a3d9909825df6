"""A practice's own note template, in a real browser (ADR 0015): the admin adds a template
with two sections; a clinician writes and signs a note with it, which then shows the
template's sections and version. Debian's Chromium via Playwright, against gunicorn."""

import json
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from psynote.lib.tests import browser

pytestmark = pytest.mark.browser

PASSWORD = "fictional-pass-123"
TOTP = pyotp.random_base32()
SETUP = """
import json
from django.urls import reverse
from django.utils import timezone
from psynote import testing as t
from psynote.accounts import mfa
from psynote.accounts.models import Role, TotpDevice
practice = t.make_practice("Browser Templates Practice (fictional)")
alice = t.make_user(practice, "alice", first_name="Alice", last_name="Fictional")
ada = t.make_user(practice, "ada", Role.ADMIN, first_name="Ada", last_name="Fictional")
TotpDevice.objects.create(user=ada, secret_sealed=mfa.seal_secret(ada.pk, TOTP),
                          confirmed_at=timezone.now())
client = t.make_client(alice, first_name="Avery", last_name="Templatetest", diagnosis="F41.1")
session = t.make_session(client, alice)
open(OUT, "w").write(json.dumps({"start": reverse("note_start",
                                                  kwargs={"session_id": session.pk})}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    out = tmp_path_factory.mktemp("templates") / "urls.json"
    with browser.serve(f"OUT = {str(out)!r}\nTOTP = {TOTP!r}\n{SETUP}") as url:
        yield url, json.loads(Path(out).read_text())


@pytest.fixture
def chromium() -> Iterator:
    with browser.chromium() as launched:
        yield launched


def _sign_in(chromium, base: str, username: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if username == "ada":
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(TOTP).now())
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("banner").get_by_role("button", name="Log out").wait_for()
    return context, page


def test_admin_adds_a_template_and_a_clinician_signs_a_note_with_it(chromium, server) -> None:
    from playwright.sync_api import expect

    base, urls = server
    context, page = _sign_in(chromium, base, "ada")
    page.get_by_role("banner").get_by_role("link", name="Note templates").click()
    page.get_by_role("link", name="Add a template").click()
    page.get_by_label("Name", exact=True).fill("Fictional brief check-in")
    page.locator("#id_section-0-label").fill("Check-in")
    page.locator("#id_section-0-prompt").fill("How the week went, in the client's words.")
    page.locator("#id_section-1-label").fill("Next step")
    page.get_by_role("checkbox", name="Mental status exam").uncheck()
    page.get_by_role("button", name="Add the template").click()
    expect(page.get_by_role("heading", name="Fictional brief check-in")).to_be_visible()
    expect(page.get_by_text("Version 1 (current)")).to_be_visible()
    context.close()

    context, page = _sign_in(chromium, base, "alice")
    page.goto(urls["start"])
    page.get_by_role("radio", name="Fictional brief check-in").check()
    page.get_by_role("button", name="Start the note").click()
    expect(page.get_by_role("heading", name="Mental status exam")).to_have_count(0)
    page.get_by_role("textbox", name="Check-in").fill("Fictional: a calmer week, slept better.")
    page.get_by_role("textbox", name="Next step").fill("Fictional: keep the sleep diary.")
    page.get_by_role("checkbox", name="F41.1").check()
    page.get_by_role("button", name="Save and review for signing").click()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Progress note signed")).to_be_visible()
    expect(page.get_by_text("Fictional: a calmer week, slept better.")).to_be_visible()
    expect(page.get_by_text("Template: Fictional brief check-in, version 1")).to_be_visible()
    context.close()
