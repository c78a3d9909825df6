"""The trend chart never prints one word over another: date labels, band names, ticks,
cut-offs and the baseline and threshold labels each keep a box of their own, inside the
picture, for every instrument and for crowded series (two scores a day apart, ten in a
week, several on one day). Boxes are the chart's own estimate (chart_labels.text_box)."""

import itertools
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest

from psynote.measures import library
from psynote.measures.chart_labels import Box, spaced_dates, spread_vertically, text_box
from psynote.measures.charts import trend_chart

NS = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 3, 2, 9, 0)

SERIES = {
    "two scores a day apart": [(date(2026, 3, 2), 0.9), (date(2026, 3, 3), 0.2)],
    "ten scores in a week": [(START + timedelta(hours=17 * i), (i * 0.37) % 1) for i in range(10)],
    "three on one day": [(START + timedelta(hours=i), i / 3) for i in range(3)],
    "a year, then a day": [(date(2025, 3, 1), 0.1), (date(2026, 3, 1), 0.5),
                           (date(2026, 3, 2), 0.95)],  # fmt: skip
    "thirty weekly": [(START + timedelta(days=7 * i), (i * 0.61) % 1) for i in range(30)],
}


def _labels(svg: str) -> list[tuple[str, Box]]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    found = []
    for text in root.iter(f"{NS}text"):
        if text.get("transform"):  # the rotated axis title, alone left of the ticks
            continue
        box = text_box(text.text or "", float(text.get("x")), float(text.get("y")),
                       float(text.get("font-size")), text.get("text-anchor") or "start")
        found.append((text.text or "", box))
    return found


@pytest.mark.parametrize("shape", sorted(SERIES))
@pytest.mark.parametrize("key", sorted(library.load_all()))
def test_no_chart_label_overprints_another(key, shape):
    instrument = library.get(key)
    low, high = instrument.reported_range
    points = [(when, round(low + share * (high - low))) for when, share in SERIES[shape]]
    labels = _labels(trend_chart(instrument, points, width=640, height=300))
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert box_a.clears(box_b), f"{key}, {shape}: {a!r} {box_a} overprints {b!r} {box_b}"
    for text, box in labels:
        assert box.left >= 0 and box.right <= 640 and box.top >= 0 and box.bottom <= 300, text


def test_crowded_dates_keep_the_first_and_the_last():
    labels = _labels(trend_chart(library.get("phq9"), [
        (when, 10) for when, _ in SERIES["ten scores in a week"]]))
    dates = [text for text, _ in labels if text.startswith("2026-")]
    assert dates[0] == "2026-03-02" and dates[-1] == "2026-03-08"
    assert len(dates) == len(set(dates))


def test_two_scores_a_day_apart_show_both_dates():
    labels = _labels(trend_chart(library.get("gad7"), [
        (when, 10) for when, _ in SERIES["two scores a day apart"]]))
    assert [t for t, _ in labels if t.startswith("2026-")] == ["2026-03-02", "2026-03-03"]


def test_dates_too_close_for_their_labels_are_left_out_but_never_the_ends():
    labels = [(100 + 40 * i, f"2026-03-{i + 1:02d}") for i in range(10)]
    kept = spaced_dates(labels, 10)
    assert kept[0] == 0 and kept[-1] == 9
    boxes = [text_box(labels[i][1], labels[i][0], 0, 10, "middle") for i in kept]
    assert all(a.clears(b) for a, b in itertools.combinations(boxes, 2))


def test_band_names_of_narrow_bands_are_moved_apart_within_the_plot():
    baselines = spread_vertically([50, 52, 54, 290], 10, top=16, bottom=252)
    boxes = [text_box("Moderate", 600, y, 10, "end") for y in baselines]
    assert all(a.clears(b) for a, b in itertools.combinations(boxes, 2))
    assert all(box.top >= 16 and box.bottom <= 252 for box in boxes)
    assert baselines[0] < baselines[1] < baselines[2] < baselines[3]
