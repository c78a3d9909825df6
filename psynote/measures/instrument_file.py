"""Reading one instrument file: the shape it must have, checked field by field.

A mistake names the file and the field (for example
`phq9.json: items[8].options[2].value: expected a whole number, got '2'`) instead of
surfacing later as a wrong score. Beyond types, the checks that keep scoring honest:
items are numbered 1..n, option values are unique, `scoring.range` equals what the
options can add up to, severity bands partition that range with no gap or overlap, and
every item a rule names exists.
"""

import re
from pathlib import Path
from typing import Any

from psynote.measures.instrument import (
    OPERATORS,
    Band,
    ChangeThreshold,
    Cluster,
    CriticalItem,
    Cutoff,
    DsmRule,
    Instrument,
    Item,
    Option,
    ProvisionalDiagnosisRule,
    Reliability,
    Scoring,
    TalkingTherapies,
)

LOINC_CODE = re.compile(r"^\d{1,7}-\d$")
LOINC_ANSWER = re.compile(r"^LA\d{1,7}-\d$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CUTOFF_ON = ("total", "percentage", "any_item")
SEXES = ("male", "female")


class InstrumentDataError(ValueError):
    """An instrument file does not have the shape the scoring code relies on."""


class _Checker:
    """Reads one file's dict with a running path so every error says where it is."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, path: str, message: str) -> InstrumentDataError:
        return InstrumentDataError(f"{self.filename}: {path}: {message}")

    def obj(
        self,
        value: Any,
        path: str,
        required: set[str],
        optional: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(path, f"missing field(s): {', '.join(missing)}")
        unknown = sorted(value.keys() - required - optional)
        if unknown:
            raise self.fail(path, f"unknown field(s): {', '.join(unknown)}")
        return value

    def integer(self, value: Any, path: str, minimum: int | None = None) -> int:
        # bool is an int subclass in Python; true/false in a file is a typo, not a number.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected a whole number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        return float(value)

    def text(self, value: Any, path: str, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self.fail(path, f"expected non-empty text, got {value!r}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {value!r}")
        return value

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(path, f"must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def code(self, value: Any, path: str, pattern: re.Pattern[str], what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.match(value):
            raise self.fail(path, f"not a {what}: {value!r} (use null when there is none)")
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        return value


def _options(c: _Checker, raw: Any, path: str) -> tuple[Option, ...]:
    entries = c.array(raw, path)
    if len(entries) < 2:
        raise c.fail(path, "an item needs at least two answer options")
    options = []
    for i, entry in enumerate(entries):
        p = f"{path}[{i}]"
        c.obj(entry, p, {"value", "label"}, {"loinc"})
        options.append(
            Option(
                value=c.integer(entry["value"], f"{p}.value", minimum=0),
                label=c.text(entry["label"], f"{p}.label"),
                loinc=c.code(entry.get("loinc"), f"{p}.loinc", LOINC_ANSWER, "LOINC answer code"),
            )
        )
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        raise c.fail(path, f"option values repeat: {values}")
    return tuple(options)


def _items(c: _Checker, data: dict[str, Any]) -> tuple[Item, ...]:
    default = None
    if data.get("answer_options") is not None:
        default = _options(c, data["answer_options"], "answer_options")
    items = []
    for i, entry in enumerate(c.array(data["items"], "items")):
        p = f"items[{i}]"
        c.obj(entry, p, {"number", "text", "loinc"}, {"options", "scored", "note"})
        number = c.integer(entry["number"], f"{p}.number", minimum=1)
        if number != i + 1:
            raise c.fail(
                f"{p}.number",
                f"items must be numbered 1, 2, 3, … in order; expected {i + 1}, got {number}",
            )
        if "options" in entry:
            options = _options(c, entry["options"], f"{p}.options")
        elif default is not None:
            options = default
        else:
            raise c.fail(p, "no options here and no instrument-wide answer_options")
        items.append(
            Item(
                number=number,
                text=c.text(entry["text"], f"{p}.text"),
                loinc=c.code(entry["loinc"], f"{p}.loinc", LOINC_CODE, "LOINC code"),
                options=options,
                scored=c.boolean(entry.get("scored", True), f"{p}.scored"),
                note=c.text(entry.get("note", ""), f"{p}.note", allow_empty=True),
            )
        )
    if not any(item.scored for item in items):
        raise c.fail("items", "at least one item must be scored")
    return tuple(items)


def _scoring(c: _Checker, raw: Any, items: tuple[Item, ...]) -> Scoring:
    c.obj(raw, "scoring", {"method", "range", "multiplier", "missing"}, {"missing_note"})
    method = c.choice(raw["method"], "scoring.method", ("sum",))
    bounds = c.array(raw["range"], "scoring.range")
    if len(bounds) != 2:
        raise c.fail("scoring.range", "expected [lowest, highest]")
    low = c.integer(bounds[0], "scoring.range[0]")
    high = c.integer(bounds[1], "scoring.range[1]")
    scored = [item for item in items if item.scored]
    possible = (sum(min(i.values) for i in scored), sum(max(i.values) for i in scored))
    if (low, high) != possible:
        raise c.fail(
            "scoring.range",
            f"is [{low}, {high}] but the scored items' options add "
            f"up to [{possible[0]}, {possible[1]}]",
        )
    missing = raw["missing"]
    if missing == "refuse":
        max_missing = 0
    elif isinstance(missing, dict):
        c.obj(missing, "scoring.missing", {"prorate"})
        c.obj(missing["prorate"], "scoring.missing.prorate", {"max_missing"})
        max_missing = c.integer(
            missing["prorate"]["max_missing"], "scoring.missing.prorate.max_missing", minimum=1
        )
        if max_missing >= len(scored):
            raise c.fail(
                "scoring.missing.prorate.max_missing",
                f"{max_missing} would allow scoring with no item answered",
            )
        # Prorating scales the mean answer up to all items, which is only meaningful
        # when every scored item is rated on the same scale.
        if len({item.values for item in scored}) != 1:
            raise c.fail(
                "scoring.missing",
                "prorating needs every scored item to share the same answer values",
            )
    else:
        raise c.fail(
            "scoring.missing",
            f'must be "refuse" or {{"prorate": {{"max_missing": n}}}}, got {missing!r}',
        )
    return Scoring(
        method=method,
        low=low,
        high=high,
        multiplier=c.integer(raw["multiplier"], "scoring.multiplier", minimum=1),
        max_missing=max_missing,
        missing_note=c.text(raw.get("missing_note", ""), "scoring.missing_note", allow_empty=True),
    )


def _bands(c: _Checker, raw: Any, scoring: Scoring) -> tuple[Band, ...]:
    bands = []
    for i, entry in enumerate(c.array(raw, "bands")):
        p = f"bands[{i}]"
        c.obj(entry, p, {"min", "max", "label"})
        band = Band(
            c.integer(entry["min"], f"{p}.min"),
            c.integer(entry["max"], f"{p}.max"),
            c.text(entry["label"], f"{p}.label"),
        )
        if band.min > band.max:
            raise c.fail(p, f"min {band.min} is above max {band.max}")
        expected = scoring.low if not bands else bands[-1].max + 1
        if band.min != expected:
            raise c.fail(
                f"{p}.min",
                f"bands must cover the range with no gap or overlap; "
                f"expected {expected}, got {band.min}",
            )
        bands.append(band)
    if bands and bands[-1].max != scoring.high:
        raise c.fail("bands", f"last band ends at {bands[-1].max}, the range at {scoring.high}")
    return tuple(bands)


def _cutoffs(c: _Checker, raw: Any, scoring: Scoring) -> tuple[Cutoff, ...]:
    cutoffs = []
    for i, entry in enumerate(c.array(raw, "cutoffs")):
        p = f"cutoffs[{i}]"
        c.obj(entry, p, {"key", "on", "op", "value", "label", "source"}, {"sex", "max"})
        on = c.choice(entry["on"], f"{p}.on", CUTOFF_ON)
        if on == "percentage" and scoring.multiplier == 1:
            raise c.fail(f"{p}.on", "percentage cut-off on an instrument without a multiplier")
        sex = entry.get("sex")
        if sex is not None:
            c.choice(sex, f"{p}.sex", SEXES)
        key = c.text(entry["key"], f"{p}.key")
        if not KEY.match(key) or key in {cutoff.key for cutoff in cutoffs}:
            raise c.fail(f"{p}.key", f"must be a unique lower-case key, got {key!r}")
        cutoffs.append(
            Cutoff(
                key=key,
                on=on,
                op=c.choice(entry["op"], f"{p}.op", tuple(OPERATORS)),
                value=c.integer(entry["value"], f"{p}.value"),
                label=c.text(entry["label"], f"{p}.label"),
                source=c.text(entry["source"], f"{p}.source"),
                sex=sex,
                max=None if entry.get("max") is None else c.integer(entry["max"], f"{p}.max"),
            )
        )
        if cutoffs[-1].max is not None and not cutoffs[-1].met_by(cutoffs[-1].max):
            raise c.fail(f"{p}.max", "the range from value to max is empty")
    return tuple(cutoffs)


def _critical(c: _Checker, raw: Any, items: tuple[Item, ...]) -> tuple[CriticalItem, ...]:
    critical = []
    for i, entry in enumerate(c.array(raw, "critical_items")):
        p = f"critical_items[{i}]"
        c.obj(entry, p, {"item", "op", "value", "label", "source"})
        number = c.integer(entry["item"], f"{p}.item")
        if not any(item.number == number and item.scored for item in items):
            raise c.fail(f"{p}.item", f"no scored item {number}")
        critical.append(
            CriticalItem(
                item=number,
                op=c.choice(entry["op"], f"{p}.op", tuple(OPERATORS)),
                value=c.integer(entry["value"], f"{p}.value"),
                label=c.text(entry["label"], f"{p}.label"),
                source=c.text(entry["source"], f"{p}.source"),
            )
        )
    return tuple(critical)


def _provisional(
    c: _Checker, raw: Any, items: tuple[Item, ...], cutoffs: tuple[Cutoff, ...]
) -> ProvisionalDiagnosisRule | None:
    if raw is None:
        return None
    c.obj(raw, "provisional_diagnosis", {"cutoff", "dsm_rule"})
    if raw["cutoff"] not in {cutoff.key for cutoff in cutoffs}:
        raise c.fail("provisional_diagnosis.cutoff", f"no cut-off keyed {raw['cutoff']!r}")
    rule = c.obj(
        raw["dsm_rule"], "provisional_diagnosis.dsm_rule", {"item_min", "clusters", "source"}
    )
    numbers = {item.number for item in items if item.scored}
    clusters = []
    for i, entry in enumerate(c.array(rule["clusters"], "provisional_diagnosis.dsm_rule.clusters")):
        p = f"provisional_diagnosis.dsm_rule.clusters[{i}]"
        c.obj(entry, p, {"key", "label", "items", "needed"})
        members = tuple(
            c.integer(n, f"{p}.items[{j}]")
            for j, n in enumerate(c.array(entry["items"], f"{p}.items"))
        )
        if not members or not set(members) <= numbers:
            raise c.fail(f"{p}.items", f"must name scored items, got {list(members)}")
        needed = c.integer(entry["needed"], f"{p}.needed", minimum=1)
        if needed > len(members):
            raise c.fail(f"{p}.needed", f"needs {needed} of only {len(members)} items")
        clusters.append(
            Cluster(
                c.text(entry["key"], f"{p}.key"),
                c.text(entry["label"], f"{p}.label"),
                members,
                needed,
            )
        )
    return ProvisionalDiagnosisRule(
        cutoff=raw["cutoff"],
        dsm_rule=DsmRule(
            item_min=c.integer(rule["item_min"], "provisional_diagnosis.dsm_rule.item_min"),
            clusters=tuple(clusters),
            source=c.text(rule["source"], "provisional_diagnosis.dsm_rule.source"),
        ),
    )


def _reliability(c: _Checker, raw: Any) -> Reliability | None:
    if raw is None:
        return None
    c.obj(raw, "reliability", {"sd", "r", "source"})
    sd = c.number(raw["sd"], "reliability.sd")
    r = c.number(raw["r"], "reliability.r")
    if sd <= 0:
        raise c.fail("reliability.sd", f"must be above 0, got {sd}")
    if not 0 <= r < 1:
        raise c.fail("reliability.r", f"must be at least 0 and below 1, got {r}")
    return Reliability(sd, r, c.text(raw["source"], "reliability.source"))


def _change_threshold(c: _Checker, raw: Any, scoring: Scoring) -> ChangeThreshold | None:
    if raw is None:
        return None
    c.obj(raw, "change_threshold", {"points", "on", "basis", "source"})
    on = c.choice(raw["on"], "change_threshold.on", ("total", "percentage"))
    if on == "percentage" and scoring.multiplier == 1:
        raise c.fail("change_threshold.on", "percentage on an instrument without a multiplier")
    return ChangeThreshold(
        c.integer(raw["points"], "change_threshold.points", minimum=1),
        on,
        c.text(raw["basis"], "change_threshold.basis"),
        c.text(raw["source"], "change_threshold.source"),
    )


def _talking_therapies(c: _Checker, raw: Any) -> TalkingTherapies | None:
    if raw is None:
        return None
    c.obj(raw, "talking_therapies", {"caseness_min", "reliable_change", "source"})
    return TalkingTherapies(
        c.integer(raw["caseness_min"], "talking_therapies.caseness_min"),
        c.integer(raw["reliable_change"], "talking_therapies.reliable_change", minimum=1),
        c.text(raw["source"], "talking_therapies.source"),
    )


REQUIRED = {
    "key",
    "title",
    "short_name",
    "measures",
    "licence",
    "wording_source",
    "timeframe",
    "instructions",
    "higher_is_better",
    "loinc",
    "items",
    "scoring",
    "bands",
    "cutoffs",
    "critical_items",
    "reliability",
    "change_threshold",
    "talking_therapies",
}
OPTIONAL = {
    "answer_options",
    "answer_options_source",
    "bands_source",
    "provisional_diagnosis",
    "reliability_note",
}


def parse(data: Any, filename: str) -> Instrument:
    """Check one instrument's data and build it; raises InstrumentDataError naming the field."""
    c = _Checker(filename)
    c.obj(data, "(top)", REQUIRED, OPTIONAL)
    key = c.text(data["key"], "key")
    if not KEY.match(key):
        raise c.fail("key", f"must be lower-case letters, digits and _, got {key!r}")
    if filename.endswith(".json") and Path(filename).stem != key:
        raise c.fail("key", f"{key!r} does not match the file name")
    licence = c.obj(data["licence"], "licence", {"text", "source"})
    loinc = c.obj(data["loinc"], "loinc", {"panel", "total", "source"})
    items = _items(c, data)
    scoring = _scoring(c, data["scoring"], items)
    cutoffs = _cutoffs(c, data["cutoffs"], scoring)
    return Instrument(
        key=key,
        title=c.text(data["title"], "title"),
        short_name=c.text(data["short_name"], "short_name"),
        measures=c.text(data["measures"], "measures"),
        licence_text=c.text(licence["text"], "licence.text"),
        licence_source=c.text(licence["source"], "licence.source"),
        wording_source=c.text(data["wording_source"], "wording_source"),
        timeframe=c.text(data["timeframe"], "timeframe"),
        instructions=c.text(data["instructions"], "instructions"),
        higher_is_better=c.boolean(data["higher_is_better"], "higher_is_better"),
        loinc_panel=c.code(loinc["panel"], "loinc.panel", LOINC_CODE, "LOINC code"),
        loinc_total=c.code(loinc["total"], "loinc.total", LOINC_CODE, "LOINC code"),
        loinc_source=c.text(loinc["source"], "loinc.source"),
        items=items,
        scoring=scoring,
        bands=_bands(c, data["bands"], scoring),
        cutoffs=cutoffs,
        critical_items=_critical(c, data["critical_items"], items),
        provisional_diagnosis=_provisional(c, data.get("provisional_diagnosis"), items, cutoffs),
        reliability=_reliability(c, data["reliability"]),
        change_threshold=_change_threshold(c, data["change_threshold"], scoring),
        talking_therapies=_talking_therapies(c, data["talking_therapies"]),
    )
