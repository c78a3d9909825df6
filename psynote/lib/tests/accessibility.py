"""WCAG 2.1 AA checks for browser tests: axe-core (vendored from npm, see
vendor/axe-core/README.md), reflow at 320 CSS pixels, and ARIA references that resolve."""

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# The WCAG 2.0 and 2.1 success criteria at levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW = {"width": 320, "height": 640}  # 1280 px at 400 % zoom (WCAG 2.1 SC 1.4.10)
WIDE = {"width": 1280, "height": 900}

_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}"""

# Wider than the window: the page itself, and the elements that stick out, outside the
# boxes that are meant to scroll on their own (data tables in .table-scroll).
_OVERFLOW = """() => {
  const width = window.innerWidth;
  const out = [...document.querySelectorAll("body *")].filter((el) => {
    if (el.closest(".table-scroll")) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1;
  });
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    wide: out.slice(0, 5).map((el) =>
      `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} ` +
      `(right edge ${Math.round(el.getBoundingClientRect().right)})`),
  };
}"""

_REFERENCES = """() => {
  const missing = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "for"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) missing.push(`${el.tagName}[${attr}=${id}]`);
      }
    }
  }
  return missing;
}"""


def axe_violations(page: Any) -> list[dict]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's own CSP does not apply.
        page.evaluate(AXE.read_text())
    return page.evaluate(_RUN, WCAG_21_AA)


def _settle(page: Any, size: dict) -> None:
    page.set_viewport_size(size)
    # Two frames: the resize event has run (app.js names the table boxes that now scroll).
    # A page in the background gets no frames: a timer ends the wait all the same.
    page.evaluate(
        "() => new Promise((r) => { requestAnimationFrame(() => requestAnimationFrame(r));"
        " setTimeout(r, 500); })"
    )


def missing_references(page: Any) -> list[str]:
    """ids named by aria-describedby, aria-labelledby, aria-controls or a label's `for`
    that are not on the page."""
    return page.evaluate(_REFERENCES)


def problems(page: Any) -> dict[str, Any]:
    """Every check on the page as it is now, at 1280 px and at 320 px; empty when clean."""
    found: dict[str, Any] = {}
    _settle(page, WIDE)
    if violations := axe_violations(page):
        found["axe at 1280 px"] = violations
    if missing := missing_references(page):
        found["missing ids"] = missing
    _settle(page, NARROW)
    try:
        overflow = page.evaluate(_OVERFLOW)
        if overflow["scrollWidth"] > overflow["innerWidth"] or overflow["wide"]:
            found["scrolls sideways at 320 px"] = overflow
        if violations := axe_violations(page):
            found["axe at 320 px"] = violations
    finally:
        _settle(page, WIDE)
    return found
