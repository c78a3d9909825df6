"""Reliable change (Jacobson–Truax) and NHS Talking Therapies classes
(docs/clinical-sources.md#reliable-change, docs/clinical-sources.md#nhs-talking-therapies)."""

import copy
import json
import math

import pytest

from psynote.measures import change, library
from psynote.measures.change import Change


def test_domain_worked_example_sd_5_r_084():
    # The worked example in docs/clinical-sources.md#reliable-change: SD 5, r .84 → SE 2.0,
    # S_diff 2.83, threshold ≈ 5.5 points.
    assert change.s_diff(5, 0.84) == pytest.approx(2.828, abs=0.001)
    result = change.jacobson_truax(20, 14, sd=5, r=0.84)
    assert result.s_diff == pytest.approx(2 * math.sqrt(2))
    assert result.threshold_points == pytest.approx(5.54, abs=0.01)
    # 1.96 × 2.828 is 5.54; the exact value is used, not a rounded one.
    assert result.rc == pytest.approx(-6 / (2 * math.sqrt(2)))
    assert result.classification is Change.RELIABLE_IMPROVEMENT


def test_change_just_inside_the_threshold_is_not_reliable():
    result = change.jacobson_truax(20, 15, sd=5, r=0.84)  # 5 points < 5.54
    assert abs(result.rc) < 1.96
    assert result.classification is Change.NO_RELIABLE_CHANGE


def test_rise_on_a_symptom_measure_is_deterioration():
    result = change.jacobson_truax(8, 16, sd=5, r=0.84)
    assert result.classification is Change.RELIABLE_DETERIORATION
    assert result.classification.label == "Reliable deterioration"


def test_rise_on_a_wellbeing_measure_is_improvement():
    result = change.jacobson_truax(8, 16, sd=5, r=0.84, higher_is_better=True)
    assert result.classification is Change.RELIABLE_IMPROVEMENT


@pytest.mark.parametrize("sd, r", [(0, 0.8), (-1, 0.8), (5, 1.0), (5, -0.1)])
def test_impossible_reliability_is_refused(sd, r):
    with pytest.raises(ValueError):
        change.s_diff(sd, r)


def test_shipped_instruments_without_a_cited_reliability_offer_no_rci():
    assert change.reliable_change(library.get("phq9"), 20, 8) is None


def test_instrument_with_a_cited_reliability_offers_rci_in_its_direction():
    data = json.loads((library.DIRECTORY / "who5.json").read_text())
    data["reliability"] = {"sd": 5, "r": 0.84, "source": "test value"}
    who5 = library.parse(copy.deepcopy(data), "test instrument")
    result = change.reliable_change(who5, 8, 16)
    assert result.classification is Change.RELIABLE_IMPROVEMENT
    # The chart threshold is on WHO-5's reported (percentage) scale.
    assert change.change_threshold(who5).points == pytest.approx(4 * 1.96 * 2 * math.sqrt(2))


def test_chart_threshold_falls_back_to_the_stated_fixed_threshold():
    assert change.change_threshold(library.get("phq9")).points == 6
    assert change.change_threshold(library.get("gad7")).points == 4
    assert change.change_threshold(library.get("who5")).points == 10
    assert change.change_threshold(library.get("pcl5")) is None


# ---- NHS Talking Therapies ---------------------------------------------------------------


def test_caseness_cutoffs_are_phq9_10_and_gad7_8():
    assert change.talking_therapies(phq9=(10, 10)).case_at_start
    assert not change.talking_therapies(phq9=(9, 9)).case_at_start
    assert change.talking_therapies(gad7=(8, 8)).case_at_start
    assert not change.talking_therapies(gad7=(7, 7)).case_at_start
    # Either measure above its cut-off makes a case.
    assert change.talking_therapies(phq9=(9, 9), gad7=(8, 2)).case_at_start


def test_reliable_recovery():
    outcome = change.talking_therapies(phq9=(16, 7), gad7=(12, 5))
    assert outcome.case_at_start and not outcome.case_at_end
    assert outcome.recovered and outcome.reliable_improvement and outcome.reliable_recovery
    assert not outcome.reliable_deterioration


def test_recovered_without_reliable_improvement_is_not_reliable_recovery():
    # PHQ-9 drops 5 (<6), GAD-7 drops 3 (<4): below caseness at the end, but not reliably.
    outcome = change.talking_therapies(phq9=(10, 5), gad7=(8, 5))
    assert outcome.recovered
    assert not outcome.reliable_improvement and not outcome.reliable_recovery


def test_reliable_improvement_needs_6_on_phq9_or_4_on_gad7():
    assert change.talking_therapies(phq9=(20, 14)).reliable_improvement
    assert not change.talking_therapies(phq9=(20, 15)).reliable_improvement
    assert change.talking_therapies(gad7=(15, 11)).reliable_improvement
    assert not change.talking_therapies(gad7=(15, 12)).reliable_improvement
    # One measure is enough ("and/or").
    assert change.talking_therapies(phq9=(20, 19), gad7=(15, 11)).reliable_improvement


def test_reliably_improved_but_still_a_case_is_not_recovery():
    outcome = change.talking_therapies(phq9=(22, 14))
    assert outcome.reliable_improvement and outcome.case_at_end
    assert not outcome.recovered and not outcome.reliable_recovery


def test_reliable_deterioration():
    outcome = change.talking_therapies(phq9=(8, 14), gad7=(5, 6))
    assert outcome.reliable_deterioration and not outcome.reliable_improvement
    assert not outcome.case_at_start and outcome.case_at_end and not outcome.recovered


def test_one_measure_up_and_one_down_is_mixed_not_improvement():
    outcome = change.talking_therapies(phq9=(18, 10), gad7=(6, 12))
    assert outcome.mixed
    assert not outcome.reliable_improvement and not outcome.reliable_deterioration


def test_not_a_case_at_start_cannot_recover():
    outcome = change.talking_therapies(phq9=(9, 2), gad7=(7, 1))
    assert not outcome.case_at_start and not outcome.recovered
    assert outcome.reliable_improvement and not outcome.reliable_recovery


@pytest.mark.parametrize("pair", [(28, 10), (-1, 3), (True, 3), (10.0, 3)])
def test_talking_therapies_refuses_impossible_totals(pair):
    with pytest.raises(ValueError, match="PHQ-9 total"):
        change.talking_therapies(phq9=pair)


def test_talking_therapies_needs_a_measure():
    with pytest.raises(ValueError, match="at least one"):
        change.talking_therapies()
