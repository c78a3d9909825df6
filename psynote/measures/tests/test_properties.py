"""Hypothesis properties: totals stay in range, bands partition the range with exact
boundaries, and the RCI is antisymmetric and zero for no change."""

from hypothesis import given
from hypothesis import strategies as st

from psynote.measures import change, library
from psynote.measures.scoring import score

KEYS = sorted(library.load_all())


@st.composite
def instrument_and_answers(draw):
    instrument = library.get(draw(st.sampled_from(KEYS)))
    answers = {item.number: draw(st.sampled_from(item.values)) for item in instrument.scored_items}
    return instrument, answers


@given(instrument_and_answers())
def test_total_is_the_sum_and_within_the_range(case):
    instrument, answers = case
    result = score(instrument, answers)
    assert result.total == result.raw_total == sum(answers.values())
    assert instrument.scoring.low <= result.total <= instrument.scoring.high
    low, high = instrument.reported_range
    assert low <= result.reported <= high
    if instrument.has_percentage:
        assert result.percentage == result.total * instrument.scoring.multiplier


@given(instrument_and_answers())
def test_band_is_the_one_whose_bounds_hold_the_total(case):
    instrument, answers = case
    result = score(instrument, answers)
    matching = [b for b in instrument.bands if b.min <= result.total <= b.max]
    if instrument.bands:
        assert len(matching) == 1 and result.band == matching[0].label
    else:
        assert result.band is None


@given(instrument_and_answers())
def test_screens_agree_with_their_cutoff(case):
    instrument, answers = case
    result = score(instrument, answers)
    for screen in result.screens:
        if screen.on == "total":
            expected = {">=": result.total >= screen.value, "<": result.total < screen.value}
            within = screen.max is None or result.total <= screen.max
            if screen.op in expected:
                assert screen.positive is (expected[screen.op] and within)


def test_bands_partition_each_range_exactly():
    for instrument in library.load_all().values():
        if not instrument.bands:
            continue
        covered = [t for b in instrument.bands for t in range(b.min, b.max + 1)]
        assert covered == list(range(instrument.scoring.low, instrument.scoring.high + 1))
        for lower, upper in zip(instrument.bands, instrument.bands[1:], strict=False):
            assert instrument.band_for(lower.max) == lower
            assert instrument.band_for(upper.min) == upper == instrument.band_for(lower.max + 1)


scores = st.integers(min_value=0, max_value=100)
sds = st.floats(min_value=0.5, max_value=30, allow_nan=False)
rs = st.floats(min_value=0, max_value=0.99, allow_nan=False)


@given(scores, scores, sds, rs)
def test_rci_is_antisymmetric_under_swapping(a, b, sd, r):
    assert change.rc(a, b, sd=sd, r=r) == -change.rc(b, a, sd=sd, r=r)


@given(scores, sds, rs)
def test_rci_is_zero_for_no_change(a, sd, r):
    result = change.jacobson_truax(a, a, sd=sd, r=r)
    assert result.rc == 0
    assert result.classification is change.Change.NO_RELIABLE_CHANGE


@given(scores, scores, sds, rs, st.booleans())
def test_swapping_swaps_improvement_and_deterioration(a, b, sd, r, higher_is_better):
    forward = change.jacobson_truax(a, b, sd=sd, r=r, higher_is_better=higher_is_better)
    backward = change.jacobson_truax(b, a, sd=sd, r=r, higher_is_better=higher_is_better)
    opposite = {
        change.Change.RELIABLE_IMPROVEMENT: change.Change.RELIABLE_DETERIORATION,
        change.Change.RELIABLE_DETERIORATION: change.Change.RELIABLE_IMPROVEMENT,
        change.Change.NO_RELIABLE_CHANGE: change.Change.NO_RELIABLE_CHANGE,
    }
    assert backward.classification is opposite[forward.classification]


phq9_totals = st.integers(min_value=0, max_value=27)
gad7_totals = st.integers(min_value=0, max_value=21)


@given(phq9_totals, phq9_totals, gad7_totals, gad7_totals)
def test_talking_therapies_classes_are_consistent(p1, p2, g1, g2):
    outcome = change.talking_therapies(phq9=(p1, p2), gad7=(g1, g2))
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    if not outcome.case_at_start:
        assert outcome.recovered is None and outcome.reliable_recovery is None
    else:
        assert outcome.recovered == (not outcome.case_at_end)
        assert outcome.reliable_recovery == (outcome.recovered and outcome.reliable_improvement)
    assert outcome.case_at_start == (p1 >= 10 or g1 >= 8)
