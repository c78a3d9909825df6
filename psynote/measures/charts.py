"""Server-side SVG trend chart for one client's scores on one instrument.

The output is a standalone SVG document fragment (it parses as XML on its own and can be
written to a .svg file or embedded in a PDF) that is also safe to put inline in our HTML
under the strict CSP: no script, no `style` attributes or elements, only SVG presentation
attributes (`fill=`, `stroke=`), which CSP does not govern. Screen readers get a
`<title>` and a `<desc>` that says in words what the picture shows.

What is drawn: severity bands shaded; cut-offs as dashed lines; the baseline (first
score) and the reliable-change thresholds either side of it; the scores joined in date
order, each point carrying its own `<title>`. Every text is dark enough for 4.5:1 contrast
on the palest and the darkest band (WCAG 2.1 SC 1.4.3), and dates are the practice's
(its time zone, as in the tables beside the chart).
"""

import hashlib
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from operator import itemgetter
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone

from psynote.measures import change
from psynote.measures.chart_labels import spaced_dates, spread_vertically
from psynote.measures.instrument import Instrument

# Lightest (least severe) to darkest; chosen to stay distinguishable in greyscale print.
BAND_FILLS = ("#e3f1e4", "#f4f1d0", "#fbe2bf", "#f8cdb8", "#f2b6b6")
# Text colours, each at least 4.5:1 on white and on every band fill (the darkest band,
# #f2b6b6, is the hardest): LINE 5.0, INK 9.2, MUTED 6.0, IMPROVE 5.6, WORSEN 5.3.
LINE = "#1f4e79"
INK = "#222222"
MUTED = "#3c4043"
IMPROVE = "#0b4f21"
WORSEN = "#8c1d18"

BAND_FONT = 10
DATE_FONT = 10

Point = tuple[date | datetime, int | float]


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _local(moment: date | datetime, zone: tzinfo) -> date | datetime:
    """An aware datetime in the practice's time zone, so that its day is the practice's."""
    if isinstance(moment, datetime) and moment.utcoffset() is not None:
        return moment.astimezone(zone)
    return moment


def _when(moment: date | datetime) -> float:
    base = float(moment.toordinal())
    if isinstance(moment, datetime):
        base += (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400
    return base


def _day(moment: date | datetime) -> str:
    """The app's one date format, YYYY-MM-DD."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day.isoformat()


def _attrs(**attrs: object) -> str:
    return "".join(
        f" {name.rstrip('_').replace('_', '-')}={quoteattr(str(value))}"
        for name, value in attrs.items()
        if value is not None
    )


def _el(tag: str, body: str = "", **attrs: object) -> str:
    if body:
        return f"<{tag}{_attrs(**attrs)}>{body}</{tag}>"
    return f"<{tag}{_attrs(**attrs)}/>"


def _ticks(low: int, high: int, instrument: Instrument) -> list[int]:
    if instrument.bands and not instrument.has_percentage:
        return sorted({band.min for band in instrument.bands} | {high})
    span = high - low
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 6)
    return list(range(low, high + 1, step)) + ([high] if span % step else [])


def _box(width: int, height: int) -> tuple[int, int, int, int]:
    """The plot area inside the margins: x0, x1, y0, y1."""
    left, right, top, bottom = 56, 20, 16, 48
    return left, width - right, top, height - bottom


def _vertical(
    instrument: Instrument, width: int, height: int
) -> tuple[Callable[[float], float], Callable[..., str]]:
    """The y of a value on the plot, and a horizontal line across the plot at a value
    (bands, cut-offs, baseline, thresholds): shared by the frame and the points."""
    low, high = instrument.reported_range
    x0, x1, y0, y1 = _box(width, height)

    def y(value: float) -> float:
        return y1 - (value - low) / (high - low) * (y1 - y0)

    def rule(value: float, **style: object) -> str:
        return _el("line", x1=x0, y1=_num(y(value)), x2=x1, y2=_num(y(value)), **style)

    return y, rule


# (instrument key, width, height) → the instrument drawn and its frame. Keyed by the key
# and checked by identity: hashing a whole instrument costs about what drawing a frame does.
_FRAMES: dict[tuple[str, int, int], tuple[Instrument, str]] = {}


def _frame(instrument: Instrument, width: int, height: int) -> str:
    """What the chart draws whatever the scores: the bands, the axes and the cut-offs.

    It depends on the instrument and the size only, so it is drawn once per process: the
    measures page draws a chart per instrument on every view."""
    key = (instrument.key, width, height)
    found = _FRAMES.get(key)
    if found is None or found[0] is not instrument:
        found = _FRAMES[key] = (instrument, _draw_frame(instrument, width, height))
    return found[1]


def _draw_frame(instrument: Instrument, width: int, height: int) -> str:
    low, high = instrument.reported_range
    x0, x1, y0, y1 = _box(width, height)
    y, rule = _vertical(instrument, width, height)

    parts: list[str] = []
    # Severity bands, with their names at the right edge (moved apart where bands are
    # too narrow to hold them one under the other).
    fills = BAND_FILLS[::-1] if instrument.higher_is_better else BAND_FILLS
    bands = instrument.bands
    m = instrument.scoring.multiplier
    middles = [
        (y(min(b.max * m + 0.5 * m, high)) + y(max(b.min * m - 0.5 * m, low))) / 2 for b in bands
    ]
    band_baselines = spread_vertically(middles, BAND_FONT, y0, y1)
    for i, band in enumerate(bands):
        shade = fills[round(i * (len(fills) - 1) / max(len(bands) - 1, 1))]
        # A band covers whole scores min..max, so it is drawn from min−½ to max+½ (clipped).
        top_value = min(band.max * m + 0.5 * m, high)
        bottom_value = max(band.min * m - 0.5 * m, low)
        parts.append(
            _el(
                "rect",
                x=x0,
                y=_num(y(top_value)),
                width=x1 - x0,
                height=_num(y(bottom_value) - y(top_value)),
                fill=shade,
            )
        )
        parts.append(
            _el(
                "text",
                escape(band.label),
                x=x1 - 4,
                y=_num(band_baselines[i]),
                text_anchor="end",
                font_size=BAND_FONT,
                fill=MUTED,
            )
        )

    # Axes, ticks and titles.
    parts.append(_el("line", x1=x0, y1=y0, x2=x0, y2=y1, stroke=INK))
    parts.append(_el("line", x1=x0, y1=y1, x2=x1, y2=y1, stroke=INK))
    for tick in _ticks(low, high, instrument):
        parts.append(_el("line", x1=x0 - 4, y1=_num(y(tick)), x2=x0, y2=_num(y(tick)), stroke=INK))
        parts.append(
            _el(
                "text",
                str(tick),
                x=x0 - 7,
                y=_num(y(tick) + 4),
                text_anchor="end",
                font_size=11,
                fill=INK,
            )
        )
    label_y = (y0 + y1) / 2
    parts.append(
        _el(
            "text",
            escape(instrument.reported_label),
            x=14,
            y=_num(label_y),
            text_anchor="middle",
            font_size=11,
            fill=INK,
            transform=f"rotate(-90 14 {_num(label_y)})",
        )
    )
    parts.append(
        _el(
            "text",
            "Date administered",
            x=_num((x0 + x1) / 2),
            y=height - 6,
            text_anchor="middle",
            font_size=11,
            fill=INK,
        )
    )

    # Cut-offs on the score itself (item-level rules have no line to draw); labels just
    # above their line, moved apart where two cut-offs are close (PCL-5: 31 and 33).
    cutoffs = [
        (cutoff, cutoff.value * (m if cutoff.on == "total" else 1))
        for cutoff in instrument.cutoffs
        if cutoff.on != "any_item"
    ]
    cutoffs = [(cutoff, value) for cutoff, value in cutoffs if low < value < high]
    cutoff_baselines = spread_vertically(
        [y(value) - 3 - 0.375 * BAND_FONT for _, value in cutoffs], BAND_FONT, y0, y1
    )
    for (cutoff, value), baseline_y in zip(cutoffs, cutoff_baselines, strict=True):
        who = f" ({'men' if cutoff.sex == 'male' else 'women'})" if cutoff.sex else ""
        parts.append(rule(value, stroke=MUTED, stroke_dasharray="6 4", stroke_width=1))
        # Right-hand labels belong to the bands when there are any; the baseline and
        # thresholds are labelled on the left, so cut-offs go where neither is.
        label_x = x1 - 4 if not bands else x0 + 0.62 * (x1 - x0)
        parts.append(
            _el(
                "text",
                escape(f"cut-off {_num(value)}{who}"),
                x=_num(label_x),
                y=_num(baseline_y),
                text_anchor="end",
                font_size=BAND_FONT,
                fill=MUTED,
            )
        )
    return "".join(parts)


def trend_chart(
    instrument: Instrument,
    points: Sequence[Point],
    *,
    width: int = 640,
    height: int = 300,
    chart_id: str | None = None,
) -> str:
    """An SVG chart of `points` (when administered, reported score) for `instrument`.

    Scores are on the instrument's reported scale: the total, or for WHO-5 the percentage.
    `chart_id` keeps element ids unique when several charts share a page.
    """
    # Each point's local time, position in time and day worked out once: a long history
    # has hundreds of points, each drawn, labelled and described.
    zone = timezone.get_current_timezone()
    local = [(_local(when, zone), value) for when, value in points]
    timed = sorted(((_when(moment), moment, value) for moment, value in local), key=itemgetter(0))
    series = [(moment, value) for _, moment, value in timed]
    if chart_id is None:
        digest = hashlib.sha256(repr((instrument.key, series)).encode()).hexdigest()[:10]
        chart_id = f"chart-{instrument.key}-{digest}"
    low, high = instrument.reported_range
    x0, x1, y0, y1 = _box(width, height)
    y, rule = _vertical(instrument, width, height)

    if series:
        first, last = timed[0][0], timed[-1][0]
        pad = 18

        def x(when: float) -> float:
            if last == first:
                return (x0 + x1) / 2
            return x0 + pad + (when - first) / (last - first) * (x1 - x0 - 2 * pad)

    threshold = change.change_threshold(instrument)
    title = (
        f"{instrument.short_name}: {'percentage' if instrument.has_percentage else 'total'} "
        f"score over time"
    )
    parts: list[str] = [
        _el("title", escape(title), id=f"{chart_id}-title"),
        _el("desc", escape(_describe(instrument, series, threshold)), id=f"{chart_id}-desc"),
        _frame(instrument, width, height),
    ]
    bands = instrument.bands
    m = instrument.scoring.multiplier

    if not series:
        parts.append(
            _el(
                "text",
                "No scores recorded yet",
                x=_num((x0 + x1) / 2),
                y=_num((y0 + y1) / 2),
                text_anchor="middle",
                font_size=13,
                fill=MUTED,
            )
        )
        return _svg(parts, width, height, chart_id)

    # Baseline and the reliable-change thresholds around it.
    baseline = series[0][1]
    parts.append(rule(baseline, stroke=LINE, stroke_width=1, stroke_opacity="0.6"))
    parts.append(
        _el(
            "text",
            escape(f"baseline {_num(baseline)}"),
            x=x0 + 4,
            y=_num(y(baseline) - 3),
            font_size=10,
            fill=LINE,
        )
    )
    if threshold is not None:
        sign = 1 if instrument.higher_is_better else -1
        for value, colour, words in (
            (baseline + sign * threshold.points, IMPROVE, "reliable improvement"),
            (baseline - sign * threshold.points, WORSEN, "reliable deterioration"),
        ):
            if low <= value <= high:
                parts.append(rule(value, stroke=colour, stroke_dasharray="2 3", stroke_width=1.5))
                parts.append(
                    _el(
                        "text",
                        escape(f"{words} ({_num(threshold.points)} points)"),
                        x=x0 + 4,
                        y=_num(y(value) - 3),
                        font_size=10,
                        fill=colour,
                    )
                )

    # Dates along the bottom: at most six, always the first and the last, none printed
    # over another.
    at = [x(when) for when, _, _ in timed]
    days = [_day(moment) for moment, _ in series]
    shown = spaced_dates(list(zip(at, days, strict=True)), DATE_FONT)
    for index in shown:
        parts.append(
            _el("line", x1=_num(at[index]), y1=y1, x2=_num(at[index]), y2=y1 + 4, stroke=INK)
        )
        parts.append(
            _el(
                "text",
                escape(days[index]),
                x=_num(at[index]),
                y=y1 + 17,
                text_anchor="middle",
                font_size=DATE_FONT,
                fill=INK,
            )
        )

    # Each point's position and label once: a long history has hundreds of points.
    xs = [_num(px) for px in at]
    ys = [_num(y(value)) for _, value in series]
    coords = " ".join(f"{px},{py}" for px, py in zip(xs, ys, strict=True))
    if len(series) > 1:
        parts.append(
            _el(
                "polyline",
                points=coords,
                fill="none",
                stroke=LINE,
                stroke_width=2,
                stroke_linejoin="round",
            )
        )
    # What _el("circle", _el("title", ...), cx=..., cy=..., r=4, ...) writes, with the
    # attributes that are the same for every point quoted once.
    style = _attrs(r=4, fill=LINE, stroke="#ffffff", stroke_width=1.5)
    labels: dict[int | float, str] = {}  # a score's words once: scores repeat
    for (_, value), day, px, py in zip(series, days, xs, ys, strict=True):
        label = labels.get(value)
        if label is None:
            band = instrument.band_for(math.floor(value / m)) if bands else None
            label = labels[value] = _num(value) + (f" ({band.label})" if band else "")
        title = escape(f"{day}: {label}")
        parts.append(f'<circle cx="{px}" cy="{py}"{style}><title>{title}</title></circle>')
    return _svg(parts, width, height, chart_id)


def _svg(parts: list[str], width: int, height: int, chart_id: str) -> str:
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    )
    return f"<svg{head}>" + "".join(parts) + "</svg>"


def _describe(
    instrument: Instrument, series: Sequence[Point], threshold: change.Threshold | None
) -> str:
    scale = "percentage" if instrument.has_percentage else "total"
    low, high = instrument.reported_range
    words = [
        f"{instrument.title} {scale} scores ({low}–{high}; "
        f"{'higher' if instrument.higher_is_better else 'lower'} is better)."
    ]
    if not series:
        words.append("No scores recorded yet.")
    else:
        m = instrument.scoring.multiplier

        def say(point: Point) -> str:
            band = instrument.band_for(math.floor(point[1] / m)) if instrument.bands else None
            return f"{_num(point[1])} on {_day(point[0])}" + (f" ({band.label})" if band else "")

        words.append(f"{len(series)} score{'s' if len(series) != 1 else ''}.")
        words.append(f"Baseline {say(series[0])}.")
        if len(series) > 1:
            diff = series[-1][1] - series[0][1]
            words.append(
                f"Latest {say(series[-1])}, a change of {'+' if diff > 0 else ''}"
                f"{_num(diff)} from baseline."
            )
    if threshold is not None:
        words.append(
            f"Reliable change threshold: {_num(threshold.points)} points ({threshold.basis})."
        )
    if instrument.bands:
        words.append(
            "Shaded bands: "
            + "; ".join(
                f"{b.label} {b.min * instrument.scoring.multiplier}–"
                f"{b.max * instrument.scoring.multiplier}"
                for b in instrument.bands
            )
            + "."
        )
    return " ".join(words)
