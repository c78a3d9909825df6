"""The in-memory instrument: what `instrument_file.parse` builds from one file of the library.

Frozen dataclasses, so a loaded instrument is shared safely between requests; the
arithmetic scoring needs (bands, cut-off tests, the reported range) lives on them.
"""

from collections.abc import Callable
from dataclasses import dataclass

OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc: str | None


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    loinc: str | None
    options: tuple[Option, ...]
    scored: bool = True
    note: str = ""

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(sorted(option.value for option in self.options))

    def label_for(self, value: int) -> str:
        return next(option.label for option in self.options if option.value == value)


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    label: str


@dataclass(frozen=True)
class Cutoff:
    key: str
    on: str  # "total", "percentage" or "any_item"
    op: str
    value: int
    label: str
    source: str
    sex: str | None = None
    # A cut-off with an upper bound is a published range (PCL-5 31–33): a score inside it
    # is flagged for review rather than read as a positive screen.
    max: int | None = None

    def met_by(self, number: int) -> bool:
        return OPERATORS[self.op](number, self.value) and (self.max is None or number <= self.max)


@dataclass(frozen=True)
class CriticalItem:
    item: int
    op: str
    value: int
    label: str
    source: str

    def met_by(self, answer: int) -> bool:
        return OPERATORS[self.op](answer, self.value)


@dataclass(frozen=True)
class Cluster:
    key: str
    label: str
    items: tuple[int, ...]
    needed: int


@dataclass(frozen=True)
class DsmRule:
    item_min: int
    clusters: tuple[Cluster, ...]
    source: str


@dataclass(frozen=True)
class ProvisionalDiagnosisRule:
    cutoff: str
    dsm_rule: DsmRule


@dataclass(frozen=True)
class Reliability:
    sd: float
    r: float
    source: str


@dataclass(frozen=True)
class ChangeThreshold:
    points: int
    on: str  # "total" or "percentage"
    basis: str
    source: str


@dataclass(frozen=True)
class TalkingTherapies:
    caseness_min: int
    reliable_change: int
    source: str


@dataclass(frozen=True)
class Scoring:
    method: str
    low: int
    high: int
    multiplier: int
    max_missing: int  # 0 means an incomplete form is refused
    missing_note: str

    @property
    def prorates(self) -> bool:
        return self.max_missing > 0


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    short_name: str
    measures: str
    licence_text: str
    licence_source: str
    wording_source: str
    timeframe: str
    instructions: str
    higher_is_better: bool
    loinc_panel: str | None
    loinc_total: str | None
    loinc_source: str
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...]
    cutoffs: tuple[Cutoff, ...]
    critical_items: tuple[CriticalItem, ...]
    provisional_diagnosis: ProvisionalDiagnosisRule | None
    reliability: Reliability | None
    change_threshold: ChangeThreshold | None
    talking_therapies: TalkingTherapies | None

    def __str__(self) -> str:
        return self.short_name

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, number: int) -> Item | None:
        return next((item for item in self.items if item.number == number), None)

    def band_for(self, total: int) -> Band | None:
        return next((band for band in self.bands if band.min <= total <= band.max), None)

    @property
    def has_percentage(self) -> bool:
        return self.scoring.multiplier != 1

    @property
    def reported_range(self) -> tuple[int, int]:
        """The range of the score clinicians read: the percentage when there is one."""
        m = self.scoring.multiplier
        return self.scoring.low * m, self.scoring.high * m

    @property
    def reported_label(self) -> str:
        return f"{self.short_name} (%)" if self.has_percentage else f"{self.short_name} total"
