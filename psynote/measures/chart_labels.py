"""Where the trend chart's words go, so that none is printed over another.

The chart is drawn on the server, with no browser to measure text, so a label's box is
estimated from its length: every character counted as wide as a digit or a capital of the
chart's sans-serif (0.62 em, more than the average letter), its height one em above the
baseline and a quarter below. Over-estimating only leaves more room.

Dates along the bottom: first and last, then evenly spaced ones, each kept only if its box
clears the ones already kept (two scores a day apart, or ten in a week, show the first and
last date and what fits between). Band names at the right edge: each in the middle of its
band, then moved apart when narrow bands would stack them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

EM = 0.62  # a character's width, in font sizes (sans-serif digits are 0.55-0.56)
GAP = 4.0  # room kept between two labels, in pixels


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def clears(self, other: "Box", gap: float = 0.0) -> bool:
        return (
            self.right + gap <= other.left
            or other.right + gap <= self.left
            or self.bottom + gap <= other.top
            or other.bottom + gap <= self.top
        )


def text_box(text: str, x: float, baseline: float, size: float, anchor: str = "start") -> Box:
    """The box a one-line `text` takes at (x, baseline) with SVG's `text-anchor`."""
    width = len(text) * EM * size
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, baseline - size, left + width, baseline + 0.25 * size)


def spaced_dates(
    labels: Sequence[tuple[float, str]], size: float, most: int = 6
) -> list[int]:
    """Indexes of the date labels (x, text) to print, centred under their x, none touching
    another: the first and the last always (the last wins over a crowded neighbour), then
    up to `most` in all, evenly spread, skipping a day already printed."""
    if not labels:
        return []
    count = len(labels)
    wanted = [0, count - 1] + [round(i * (count - 1) / (most - 1)) for i in range(1, most - 1)]
    kept: list[int] = []
    boxes: list[Box] = []
    days: set[str] = set()
    for index in wanted:
        x, text = labels[index]
        box = text_box(text, x, 0, size, "middle")
        if text in days or any(not box.clears(other, GAP) for other in boxes):
            continue
        kept.append(index)
        boxes.append(box)
        days.add(text)
    return sorted(kept)


def spread_vertically(
    centres: Sequence[float], size: float, top: float, bottom: float
) -> list[float]:
    """Baselines for right-edge labels wanted centred on `centres` (any order), moved
    apart just enough that no two boxes touch, all kept between `top` and `bottom`."""
    height = 1.25 * size + GAP  # one label's box and the gap below it
    order = sorted(range(len(centres)), key=lambda i: centres[i])
    # A label's box top, wanted so that its middle sits on the centre.
    tops = [centres[i] - 1.25 * size / 2 for i in order]
    for n in range(len(tops)):  # push down what a label above overlaps
        floor = top if n == 0 else tops[n - 1] + height
        tops[n] = max(tops[n], floor)
    for n in reversed(range(len(tops))):  # then up from the bottom when past it
        ceiling = bottom - 1.25 * size if n == len(tops) - 1 else tops[n + 1] - height
        tops[n] = min(tops[n], ceiling)
    baselines = [0.0] * len(centres)
    for n, i in enumerate(order):
        baselines[i] = tops[n] + size  # box top is one font size above the baseline
    return baselines
