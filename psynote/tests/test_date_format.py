"""One date format across the app: YYYY-MM-DD, shown and typed.

Every date a template prints goes through a `date` filter whose format holds Y-m-d (a
weekday or a time beside it is fine), and no field is an `<input type=date>`, which
browsers show in the user's locale (mm/dd/yyyy in US English): date fields are
psynote.lib.forms.IsoDateInput or plain text boxes saying YYYY-MM-DD."""

import re
from pathlib import Path

from psynote.lib.forms import IsoDateInput

ROOT = Path(__file__).resolve().parents[1]
DATE_FILTER = re.compile(r"""\|date:["']([^"']*)["']""")
TIME_ONLY = {"H:i", "H:i:s", "U", "c"}


def _sources(pattern: str) -> list[Path]:
    return [p for p in ROOT.rglob(pattern) if "tests" not in p.parts]


def test_every_printed_date_is_year_month_day():
    odd = [
        f"{path.relative_to(ROOT)}: {fmt!r}"
        for path in _sources("*.html")
        for fmt in DATE_FILTER.findall(path.read_text())
        if "Y-m-d" not in fmt and fmt not in TIME_ONLY
    ]
    assert not odd, odd


def test_no_field_is_a_browser_date_input():
    found = [
        str(path.relative_to(ROOT))
        for path in _sources("*.html") + _sources("*.py")
        if re.search(r"""type=["']date["']|["']type["']: ["']date["']""", path.read_text())
    ]
    assert not found, found


def test_the_date_input_shows_and_asks_for_year_month_day():
    from datetime import date

    html = IsoDateInput().render("on", date(2026, 3, 2))
    assert 'value="2026-03-02"' in html and 'type="text"' in html
    assert 'placeholder="YYYY-MM-DD"' in html
