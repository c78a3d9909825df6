"""The main pages on a phone, and the note editor by keyboard alone, in a real browser.

Phone: at 390 CSS pixels (a common phone's width) no main page scrolls sideways; a data
table may scroll inside its own box (.table-scroll), the page never does. A page a later
change adds joins by its state name from test_browser_accessibility.STATES in PHONE_PAGES.

Keyboard: tabbing through the note editor from the top reaches the save and sign buttons,
and every element that takes focus on the way shows an outline (WCAG 2.1 SC 2.1.1
keyboard, 2.4.7 focus visible).

Same demo practice and fixtures as test_browser_accessibility (its own server)."""

from typing import Any

import pytest

from psynote.tests import test_browser_accessibility as accessibility_tests

pytestmark = pytest.mark.browser
STATES = accessibility_tests.STATES
# The same module-scoped fixtures (a server and a browser of this module's own).
demo = accessibility_tests.demo
chromium = accessibility_tests.chromium
pages = accessibility_tests.pages

PHONE = {"width": 390, "height": 844}

# The main pages, by their state name in STATES.
PHONE_PAGES = [
    "caseload",
    "caseload outcomes",
    "clients",
    "chart",
    "chart with a risk alert",
    "session",
    "note editor",
    "sign page",
    "signed note with an addendum",
    "treatment plan",
    "treatment plan draft",
    "treatment plan version",
    "measures",
    "measures with a risk alert",
    "client's requests",
    "audit log",
    "page not found",
    "today",
    "calendar week",
    "calendar day",
    "front desk's calendar",
    "search results",
    "hand-off summary",
    "group session",
    "supervision hours",
]

_WIDTHS = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  wide: [...document.querySelectorAll("body *")]
    .filter((el) => !el.closest(".table-scroll")
      && el.getBoundingClientRect().right > innerWidth + 1)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`),
})"""


@pytest.mark.parametrize("state", PHONE_PAGES)
def test_main_page_fits_a_phone_without_scrolling_sideways(
    state: str, pages: Any, demo: dict[str, Any]
) -> None:
    role, reach = STATES[state]
    page = pages(role)
    page.set_viewport_size(PHONE)
    try:
        reach(page, {**demo["urls"], "_logins": demo["logins"], "_password": demo["password"]})
        page.wait_for_load_state()
        widths = page.evaluate(_WIDTHS)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    assert widths["scrollWidth"] <= widths["innerWidth"], f"{state} ({page.url}): {widths}"
    assert not widths["wide"], f"{state} ({page.url}): {widths}"


_FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), name: el.name || "", text: (el.textContent || "").trim(),
    inMain: el.closest("main") !== null,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def test_the_note_editor_is_saved_and_sent_to_signing_by_keyboard_with_focus_in_sight(
    pages: Any, demo: dict[str, Any]
) -> None:
    page = pages("clinician")
    page.goto(demo["urls"]["note_edit"])
    reached: list[str] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused["tag"] == "body":
            break
        assert focused["outline"], f"no visible focus outline on {focused}"
        if focused["inMain"] and focused["tag"] == "button":
            reached.append(focused["text"])
        if focused["text"] == "Preview":
            break
    assert "Save draft" in reached, reached
    assert "Save and review for signing" in reached, reached
