"""Change over time: the Jacobson–Truax reliable change index and the NHS Talking
Therapies outcome classes (docs/clinical-sources.md#reliable-change,
docs/clinical-sources.md#nhs-talking-therapies).

RCI (Jacobson & Truax 1991, with the Christensen & Mendoza 1986 √2):
    S_diff = SD · √2 · √(1 − r),  RC = (x₂ − x₁) / S_diff,  reliable if |RC| > 1.96.
The SD and r come from the instrument file with their source; an instrument without them
gets no RCI (`reliable_change` returns None) rather than a made-up one.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

from psynote.measures import library
from psynote.measures.instrument import Instrument

Z = 1.96


class Change(StrEnum):
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ReliableChange:
    baseline: float
    latest: float
    rc: float
    s_diff: float
    threshold_points: float  # the smallest change that is reliable: 1.96 · S_diff
    classification: Change

    @property
    def change(self) -> float:
        return self.latest - self.baseline


def s_diff(sd: float, r: float) -> float:
    if sd <= 0:
        raise ValueError(f"SD must be above 0, got {sd}")
    if not 0 <= r < 1:
        raise ValueError(f"reliability r must be at least 0 and below 1, got {r}")
    return sd * math.sqrt(2) * math.sqrt(1 - r)


def rc(baseline: float, latest: float, *, sd: float, r: float) -> float:
    """RC = (x₂ − x₁) / S_diff. Swapping the scores negates it exactly."""
    return (latest - baseline) / s_diff(sd, r)


def jacobson_truax(
    baseline: float, latest: float, *, sd: float, r: float, higher_is_better: bool = False
) -> ReliableChange:
    sdiff = s_diff(sd, r)
    value = (latest - baseline) / sdiff
    if abs(value) > Z:
        better = value > 0 if higher_is_better else value < 0
        classification = Change.RELIABLE_IMPROVEMENT if better else Change.RELIABLE_DETERIORATION
    else:
        classification = Change.NO_RELIABLE_CHANGE
    return ReliableChange(baseline, latest, value, sdiff, Z * sdiff, classification)


def reliable_change(instrument: Instrument, baseline: int, latest: int) -> ReliableChange | None:
    """RCI on the instrument's raw totals, or None when it carries no cited SD and r."""
    if instrument.reliability is None:
        return None
    return jacobson_truax(
        baseline,
        latest,
        sd=instrument.reliability.sd,
        r=instrument.reliability.r,
        higher_is_better=instrument.higher_is_better,
    )


@dataclass(frozen=True)
class Threshold:
    """How far from baseline a score must move to count as reliable change, and why."""

    points: float  # on the reported scale (percentage for WHO-5)
    basis: str
    source: str


def change_threshold(instrument: Instrument) -> Threshold | None:
    """The threshold a chart marks around the baseline.

    The instrument's own RCI when it has a cited SD and r; otherwise its stated fixed
    threshold (NHS Talking Therapies points for PHQ-9/GAD-7, 10 percentage points for
    WHO-5); otherwise none.
    """
    if instrument.reliability is not None:
        rel = instrument.reliability
        points = Z * s_diff(rel.sd, rel.r) * instrument.scoring.multiplier
        return Threshold(points, "Jacobson–Truax reliable change (1.96 × S_diff)", rel.source)
    fixed = instrument.change_threshold
    if fixed is None:
        return None
    points = fixed.points
    if fixed.on == "total":
        points *= instrument.scoring.multiplier
    return Threshold(points, fixed.basis, fixed.source)


# ---- NHS Talking Therapies ------------------------------------------------------------


@dataclass(frozen=True)
class MeasureChange:
    """One measure's first and last score against its Talking Therapies parameters."""

    key: str
    first: int
    last: int
    case_at_start: bool
    case_at_end: bool
    reliably_improved: bool
    reliably_deteriorated: bool


@dataclass(frozen=True)
class TalkingTherapiesOutcome:
    measures: tuple[MeasureChange, ...]
    case_at_start: bool
    case_at_end: bool
    # None = not applicable: a client who was not a case at the start cannot recover.
    recovered: bool | None
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None

    @property
    def mixed(self) -> bool:
        """One measure reliably improved while the other reliably deteriorated."""
        return any(m.reliably_improved for m in self.measures) and any(
            m.reliably_deteriorated for m in self.measures
        )


def _measure_change(instrument: Instrument, first: int, last: int) -> MeasureChange:
    params = instrument.talking_therapies
    if params is None:
        raise ValueError(f"{instrument} has no NHS Talking Therapies parameters")
    low, high = instrument.scoring.low, instrument.scoring.high
    for score in (first, last):
        if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
            raise ValueError(
                f"{instrument} total must be a whole number {low}–{high}, got {score!r}"
            )
    return MeasureChange(
        key=instrument.key,
        first=first,
        last=last,
        case_at_start=first >= params.caseness_min,
        case_at_end=last >= params.caseness_min,
        reliably_improved=first - last >= params.reliable_change,
        reliably_deteriorated=last - first >= params.reliable_change,
    )


def talking_therapies(
    phq9: tuple[int, int] | None = None, gad7: tuple[int, int] | None = None
) -> TalkingTherapiesOutcome:
    """Classify a course of treatment from its first and last PHQ-9 and GAD-7 totals.

    Each argument is (first total, last total), or None when that measure was not
    recorded at both ends. Thresholds come from the instrument files. The rules
    (docs/clinical-sources.md#nhs-talking-therapies):

    - Caseness: PHQ-9 ≥ 10 or GAD-7 ≥ 8 (either measure above its cut-off).
    - Recovery: a case at the start and not a case at the end. Not applicable (None) when
      the client was not a case at the start: such a course is left out of the recovery
      rate's denominator (finished treatment − not a case at the start).
    - Reliable improvement: PHQ-9 falls by ≥ 6 and/or GAD-7 by ≥ 4.
    - Reliable recovery: recovered and reliably improved; not applicable (None) likewise.

    Documented assumptions, because the two-measure combination and the deterioration
    rule come from secondary sources only (to be checked against the NHS Talking
    Therapies Manual):

    - Reliable improvement needs at least one measure to improve by its threshold and
      neither to deteriorate by its threshold.
    - Reliable deterioration is the mirror: a rise of at least the same threshold on at
      least one measure, and neither measure reliably improving.
    - One measure improving while the other deteriorates counts as neither; `mixed` says so.
    - With only one measure paired, caseness and change use that measure alone.

    Whether the course counts as "finished treatment" (≥ 2 attended treatment sessions)
    is for the caller to decide before including it in a recovery rate.
    """
    measures = tuple(
        _measure_change(library.get(key), *pair)
        for key, pair in (("phq9", phq9), ("gad7", gad7))
        if pair is not None
    )
    if not measures:
        raise ValueError(
            "Talking Therapies outcomes need at least one paired measure "
            "(PHQ-9 or GAD-7, first and last)"
        )
    case_at_start = any(m.case_at_start for m in measures)
    case_at_end = any(m.case_at_end for m in measures)
    improved = any(m.reliably_improved for m in measures)
    deteriorated = any(m.reliably_deteriorated for m in measures)
    reliable_improvement = improved and not deteriorated
    reliable_deterioration = deteriorated and not improved
    recovered = (not case_at_end) if case_at_start else None
    return TalkingTherapiesOutcome(
        measures=measures,
        case_at_start=case_at_start,
        case_at_end=case_at_end,
        recovered=recovered,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=reliable_deterioration,
        reliable_recovery=None if recovered is None else recovered and reliable_improvement,
    )
