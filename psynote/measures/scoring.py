"""Exact scoring of one administration of an instrument from the library.

Integer arithmetic throughout (prorating uses `Fraction`, rounded half up), and nothing is
scored silently: an answer outside the item's options, an item the instrument does not
have, a non-number, or more missing answers than the instrument's stated rule allows
raises `ScoringError` with a sentence a clinician can act on.

Facts (bands, cut-offs, critical items, the PCL-5 cluster rule) come from the instrument
file, which cites their published sources (summarised in
docs/clinical-sources.md#instrument-scoring-bands-and-cut-offs); this module only
applies them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from psynote.measures.instrument import Cutoff, Instrument

Answers = Mapping[int | str, int | None]


class ScoringError(ValueError):
    """The answers cannot be scored as given; the message says why."""


@dataclass(frozen=True)
class Screen:
    """One cut-off applied to this administration."""

    key: str
    label: str
    positive: bool
    on: str
    op: str
    value: int
    sex: str | None = None  # set when the cut-off applies to one sex only
    max: int | None = None  # the top of a published cut-off range (PCL-5 31–33)

    @property
    def review(self) -> bool:
        """A score inside a published cut-off range is flagged for review."""
        return self.max is not None


@dataclass(frozen=True)
class CriticalHit:
    item: int
    answer: int
    label: str


@dataclass(frozen=True)
class ClusterCount:
    key: str
    label: str
    count: int
    needed: int

    @property
    def met(self) -> bool:
        return self.count >= self.needed


@dataclass(frozen=True)
class ProvisionalDiagnosis:
    """PCL-5: the cut-off and the DSM cluster rule can disagree, so both are reported."""

    by_cutoff: bool
    by_dsm_rule: bool
    clusters: tuple[ClusterCount, ...]

    @property
    def agree(self) -> bool:
        return self.by_cutoff == self.by_dsm_rule


@dataclass(frozen=True)
class Result:
    instrument: str
    total: int
    raw_total: int
    percentage: int | None
    band: str | None
    screens: tuple[Screen, ...]
    critical_items_triggered: tuple[CriticalHit, ...]
    provisional_diagnosis: ProvisionalDiagnosis | None
    prorated: bool
    missing_items: tuple[int, ...]
    answers: dict[int, int] = field(default_factory=dict)

    @property
    def positive_screens(self) -> tuple[Screen, ...]:
        return tuple(screen for screen in self.screens if screen.positive and not screen.review)

    @property
    def review_flags(self) -> tuple[Screen, ...]:
        """Published cut-off ranges the score falls inside (PCL-5 31–33)."""
        return tuple(screen for screen in self.screens if screen.positive and screen.review)

    @property
    def reported(self) -> int:
        """The number clinicians read and charts plot: the percentage when there is one."""
        return self.percentage if self.percentage is not None else self.total

    @property
    def has_critical(self) -> bool:
        return bool(self.critical_items_triggered)

    def flags(self) -> dict[str, Any]:
        """A JSON-ready summary for `Administration.flags`."""
        flags: dict[str, Any] = {
            "raw_total": self.raw_total,
            "percentage": self.percentage,
            "prorated": self.prorated,
            "missing_items": list(self.missing_items),
            "screens": [
                {"key": s.key, "label": s.label, "positive": s.positive, "sex": s.sex}
                | ({"review": True} if s.review else {})
                for s in self.screens
            ],
            "critical_items": [
                {"item": hit.item, "answer": hit.answer, "label": hit.label}
                for hit in self.critical_items_triggered
            ],
        }
        if self.provisional_diagnosis is not None:
            pd = self.provisional_diagnosis
            flags["provisional_diagnosis"] = {
                "by_cutoff": pd.by_cutoff,
                "by_dsm_rule": pd.by_dsm_rule,
                "clusters": {
                    c.key: {"count": c.count, "needed": c.needed, "met": c.met} for c in pd.clusters
                },
            }
        return flags


def _item_number(instrument: Instrument, key: int | str) -> int:
    if isinstance(key, bool):
        raise ScoringError(f"{instrument}: {key!r} is not an item number.")
    # str.isdigit() is true for "³" and "٣", which int() refuses or reads as another
    # number: only ASCII digits name an item.
    if isinstance(key, str) and key.strip().isascii() and key.strip().isdigit():
        key = int(key.strip())
    if not isinstance(key, int):
        raise ScoringError(f"{instrument}: {key!r} is not an item number.")
    if instrument.item(key) is None:
        raise ScoringError(
            f"{instrument} has no item {key} (its items are 1–{len(instrument.items)})."
        )
    return key


def normalise(instrument: Instrument, answers: Answers) -> dict[int, int | None]:
    """Answers keyed by item number, each checked against that item's options."""
    if not isinstance(answers, Mapping):
        raise ScoringError(f"{instrument}: answers must map item numbers to answers.")
    out: dict[int, int | None] = {}
    for key, value in answers.items():
        number = _item_number(instrument, key)
        if number in out:
            raise ScoringError(f"{instrument}: item {number} is answered twice.")
        item = instrument.item(number)
        assert item is not None
        if value is None:
            out[number] = None
            continue
        # True/False are ints in Python; a checkbox value is not a rating.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScoringError(
                f"{instrument} item {number}: the answer must be a whole number, got {value!r}."
            )
        if value not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise ScoringError(
                f"{instrument} item {number}: {value} is not an allowed answer "
                f"(allowed: {allowed})."
            )
        out[number] = value
    return out


def _round_half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)).__floor__())


def _applies(cutoff: Cutoff, sex: str | None) -> bool:
    return cutoff.sex is None or sex not in ("male", "female") or cutoff.sex == sex


def score(instrument: Instrument, answers: Answers, *, sex: str | None = None) -> Result:
    """Score one administration.

    `sex` ("male"/"female") picks sex-specific cut-offs (AUDIT-C); any other value, or
    None, reports every sex-specific cut-off, each labelled with the sex it applies to.
    """
    given = normalise(instrument, answers)
    scored = instrument.scored_items
    answered = {
        item.number: given[item.number] for item in scored if given.get(item.number) is not None
    }
    missing = tuple(item.number for item in scored if item.number not in answered)

    if missing:
        _check_missing(instrument, missing)

    raw_total = sum(v for v in answered.values() if v is not None)
    if missing:
        total = _round_half_up(Fraction(raw_total * len(scored), len(answered)))
    else:
        total = raw_total
    percentage = total * instrument.scoring.multiplier if instrument.has_percentage else None
    band = instrument.band_for(total)

    screens = []
    for cutoff in instrument.cutoffs:
        if not _applies(cutoff, sex):
            continue
        if cutoff.on == "total":
            positive = cutoff.met_by(total)
        elif cutoff.on == "percentage":
            assert percentage is not None
            positive = cutoff.met_by(percentage)
        else:
            positive = any(cutoff.met_by(v) for v in answered.values() if v is not None)
        screens.append(
            Screen(
                cutoff.key,
                cutoff.label,
                positive,
                cutoff.on,
                cutoff.op,
                cutoff.value,
                cutoff.sex,
                max=cutoff.max,
            )
        )

    critical = tuple(
        CriticalHit(rule.item, answer, rule.label)
        for rule in instrument.critical_items
        if (answer := answered.get(rule.item)) is not None and rule.met_by(answer)
    )

    provisional = None
    if instrument.provisional_diagnosis is not None:
        rule = instrument.provisional_diagnosis
        by_cutoff = next(s.positive for s in screens if s.key == rule.cutoff)
        clusters = tuple(
            ClusterCount(
                cluster.key,
                cluster.label,
                sum(1 for n in cluster.items if (answered.get(n) or 0) >= rule.dsm_rule.item_min),
                cluster.needed,
            )
            for cluster in rule.dsm_rule.clusters
        )
        provisional = ProvisionalDiagnosis(by_cutoff, all(c.met for c in clusters), clusters)

    return Result(
        instrument=instrument.key,
        total=total,
        raw_total=raw_total,
        percentage=percentage,
        band=band.label if band else None,
        screens=tuple(screens),
        critical_items_triggered=critical,
        provisional_diagnosis=provisional,
        prorated=bool(missing),
        missing_items=missing,
        answers={n: v for n, v in given.items() if v is not None},
    )


def _check_missing(instrument: Instrument, missing: tuple[int, ...]) -> None:
    listed = ", ".join(str(n) for n in missing)
    noun = "item" if len(missing) == 1 else "items"
    rule = instrument.scoring
    if not rule.prorates:
        raise ScoringError(
            f"{instrument}: {noun} {listed} unanswered. This instrument is "
            "scored only when every item is answered."
        )
    if len(missing) > rule.max_missing:
        raise ScoringError(
            f"{instrument}: {noun} {listed} unanswered. This instrument can be "
            f"prorated with at most {rule.max_missing} missing."
        )
    for critical in instrument.critical_items:
        if critical.item in missing:
            raise ScoringError(
                f"{instrument}: item {critical.item} is a critical item and "
                "must be answered; it is never prorated."
            )
    if instrument.provisional_diagnosis is not None:
        raise ScoringError(
            f"{instrument}: {noun} {listed} unanswered. The DSM cluster rule needs every item."
        )
