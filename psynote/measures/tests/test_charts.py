"""The SVG trend chart: well-formed standalone XML, accessible, and CSP-safe inline."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from psynote.measures import library
from psynote.measures.charts import trend_chart

NS = "{http://www.w3.org/2000/svg}"
SERIES = [(date(2026, 1, 5), 18), (date(2026, 1, 19), 15), (date(2026, 2, 2), 11),
          (date(2026, 2, 16), 8), (date(2026, 3, 2), 6)]  # fmt: skip


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{NS}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{NS}text")]


@pytest.mark.parametrize("key", sorted(library.load_all()))
@pytest.mark.parametrize("points", [[], SERIES[:1], SERIES])
def test_every_instrument_charts_as_valid_svg(key, points):
    instrument = library.get(key)
    low, high = instrument.reported_range
    clipped = [(when, min(max(value, low), high)) for when, value in points]
    parse(trend_chart(instrument, clipped))


def test_chart_has_title_and_description_it_is_labelled_by():
    root = parse(trend_chart(library.get("phq9"), SERIES, chart_id="phq9-chart"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "phq9-chart-title phq9-chart-desc"
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title.get("id") == "phq9-chart-title" and "PHQ-9" in title.text
    assert desc.get("id") == "phq9-chart-desc"
    assert "Baseline 18 on 2026-01-05 (Moderately severe)" in desc.text
    assert "Latest 6 on 2026-03-02 (Mild), a change of -12 from baseline" in desc.text
    assert "Reliable change threshold: 6 points" in desc.text


def test_chart_is_safe_inline_under_a_strict_csp():
    svg = trend_chart(library.get("phq9"), SERIES)
    root = parse(svg)
    assert not [el for el in root.iter() if "style" in el.attrib]
    assert root.find(f".//{NS}style") is None and root.find(f".//{NS}script") is None
    assert not re.search(r"\son\w+=", svg)  # no event-handler attributes
    assert "javascript:" not in svg and "href" not in svg


def test_severity_bands_are_shaded_and_named():
    root = parse(trend_chart(library.get("phq9"), SERIES))
    assert len(root.findall(f"{NS}rect")) == 5
    labels = texts(root)
    for band in ("None–minimal", "Mild", "Moderate", "Moderately severe", "Severe"):
        assert band in labels


def test_reliable_change_lines_are_drawn_relative_to_the_baseline():
    labels = texts(parse(trend_chart(library.get("phq9"), SERIES)))
    assert "baseline 18" in labels
    assert "reliable improvement (6 points)" in labels  # at 12
    assert "reliable deterioration (6 points)" in labels  # at 24


def test_threshold_outside_the_range_is_not_drawn():
    labels = texts(parse(trend_chart(library.get("phq9"), [(date(2026, 1, 5), 24)])))
    assert "reliable improvement (6 points)" in labels
    assert not any(t.startswith("reliable deterioration") for t in labels)  # 30 > 27


def test_who5_is_charted_as_a_percentage_with_improvement_upwards():
    root = parse(trend_chart(library.get("who5"), [(date(2026, 1, 5), 40), (date(2026, 2, 2), 64)]))
    labels = texts(root)
    assert "WHO-5 (%)" in labels and "100" in labels
    assert "cut-off 52" in labels and "cut-off 28" in labels  # raw < 13; ≤ 28 %
    assert "reliable improvement (10 points)" in labels
    improvement = next(el for el in root.iter(f"{NS}text") if el.text.startswith("reliable impr"))
    baseline = next(el for el in root.iter(f"{NS}text") if el.text == "baseline 40")
    assert float(improvement.get("y")) < float(baseline.get("y"))  # higher score, higher up


def test_auditc_chart_shows_both_sex_specific_cutoffs():
    labels = texts(parse(trend_chart(library.get("auditc"), [(date(2026, 1, 5), 5)])))
    assert "cut-off 4 (men)" in labels and "cut-off 3 (women)" in labels


def test_each_point_has_its_own_tooltip_in_date_order():
    shuffled = [SERIES[3], SERIES[0], SERIES[4], SERIES[1], SERIES[2]]
    root = parse(trend_chart(library.get("phq9"), shuffled))
    tips = [c.find(f"{NS}title").text for c in root.iter(f"{NS}circle")]
    assert tips[0] == "2026-01-05: 18 (Moderately severe)"
    assert tips[-1] == "2026-03-02: 6 (Mild)"
    xs = [float(c.get("cx")) for c in root.iter(f"{NS}circle")]
    assert xs == sorted(xs)


def test_empty_series_says_so():
    root = parse(trend_chart(library.get("gad7"), []))
    assert "No scores recorded yet" in texts(root)
    assert "No scores recorded yet." in root.find(f"{NS}desc").text


def test_datetimes_on_the_same_day_are_spread_out():
    points = [(datetime(2026, 1, 5, 9, 0), 10), (datetime(2026, 1, 5, 17, 0), 12)]
    root = parse(trend_chart(library.get("phq9"), points))
    xs = [float(c.get("cx")) for c in root.iter(f"{NS}circle")]
    assert xs[0] < xs[1]


def test_two_charts_on_one_page_do_not_share_ids():
    a = parse(trend_chart(library.get("phq9"), SERIES))
    b = parse(trend_chart(library.get("gad7"), SERIES[:3]))
    assert a.find(f"{NS}title").get("id") != b.find(f"{NS}title").get("id")


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _text_box(text: ET.Element) -> tuple[float, float, float, float]:
    """Roughly where a label's glyphs are: wide enough for its characters, one size high."""
    size = float(text.get("font-size"))
    x, y = float(text.get("x")), float(text.get("y"))
    width = len(text.text or "") * size * 0.6
    left = {"end": x - width, "middle": x - width / 2}.get(text.get("text-anchor"), x)
    return left, y - size, left + width, y


@pytest.mark.parametrize("key", sorted(library.load_all()))
def test_every_chart_text_has_4_5_to_1_contrast_on_what_is_behind_it(key):
    """WCAG 2.1 SC 1.4.3: the labels are small, so 4.5:1 against white and every band or
    area they overlap."""
    instrument = library.get(key)
    low, high = instrument.reported_range
    series = [(when, min(max(value, low), high)) for when, value in SERIES]
    root = parse(trend_chart(instrument, series))
    rects = [
        (float(r.get("x")), float(r.get("y")), float(r.get("x")) + float(r.get("width")),
         float(r.get("y")) + float(r.get("height")), r.get("fill"))
        for r in root.iter(f"{NS}rect")
    ]
    checked = 0
    for text in root.iter(f"{NS}text"):
        if text.get("transform"):  # the rotated axis title sits left of the plot, on white
            assert _contrast(text.get("fill"), "#ffffff") >= 4.5
            continue
        left, top, right, bottom = _text_box(text)
        behind = ["#ffffff"] + [
            fill for x0, y0, x1, y1, fill in rects
            if left < x1 and x0 < right and top < y1 and y0 < bottom
        ]
        for fill in behind:
            ratio = _contrast(text.get("fill"), fill)
            assert ratio >= 4.5, f"{text.text!r} in {text.get('fill')} on {fill}: {ratio:.2f}"
        checked += 1
    assert checked > 5


def test_chart_dates_are_the_practices_days(settings):
    """01:30 UTC on 6 January is still 5 January in New York: the chart says so, as the
    tables beside it do."""
    from datetime import UTC

    settings.TIME_ZONE = "America/New_York"
    points = [(datetime(2026, 1, 6, 1, 30, tzinfo=UTC), 12),
              (datetime(2026, 2, 3, 15, 0, tzinfo=UTC), 8)]  # fmt: skip
    root = parse(trend_chart(library.get("phq9"), points))
    labels = texts(root)
    assert "2026-01-05" in labels and "2026-01-06" not in labels
    tips = [c.find(f"{NS}title").text for c in root.iter(f"{NS}circle")]
    assert tips[0].startswith("2026-01-05: 12")
    assert "12 on 2026-01-05" in root.find(f"{NS}desc").text
