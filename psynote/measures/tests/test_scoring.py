"""Scoring against docs/clinical-sources.md#instrument-scoring-bands-and-cut-offs: every
band boundary, cut-off, critical item and rule, plus the published HL7 worked examples, and
refusal of anything that is not a score."""

import copy
import json

import pytest

from psynote.measures import library
from psynote.measures.scoring import ScoringError, score


def answers_totalling(key: str, total: int) -> dict[int, int]:
    """Fill items in order up to their maximum until the total is reached."""
    out = {}
    for item in library.get(key).scored_items:
        value = min(max(item.values), total)
        out[item.number] = value
        total -= value
    assert total == 0
    return out


def scored(key: str, total: int, **kwargs):
    return score(library.get(key), answers_totalling(key, total), **kwargs)


def by_loinc(key: str, codes: list[str]) -> dict[int, int]:
    instrument = library.get(key)
    return {
        item.number: next(o.value for o in item.options if o.loinc == code)
        for item, code in zip(instrument.scored_items, codes, strict=True)
    }


# ---- published worked examples ------------------------------------------------------------


def test_hl7_phr_phq9_example_scores_3_minimal():
    # HL7/personal-health-record-format-ig QuestionnaireResponse-ScoredAssessment-PHQ9.fsh
    # and its Observation: total 3, "noneToMinimal".
    answers = by_loinc("phq9", ["LA6568-5", "LA6568-5", "LA6569-3", "LA6569-3", "LA6569-3",
                                "LA6568-5", "LA6568-5", "LA6568-5", "LA6568-5"])  # fmt: skip
    result = score(library.get("phq9"), answers)
    assert (result.total, result.band) == (3, "None–minimal")
    assert not result.critical_items_triggered and not result.positive_screens


def test_hl7_phr_gad7_example_scores_3_minimal():
    # Same IG: QuestionnaireResponse-ScoredAssessment-GAD7.fsh, Observation total 3, minimal.
    answers = by_loinc("gad7", ["LA6568-5", "LA6568-5", "LA6569-3", "LA6569-3", "LA6568-5",
                                "LA6569-3", "LA6568-5"])  # fmt: skip
    result = score(library.get("gad7"), answers)
    assert (result.total, result.band) == (3, "Minimal")


# ---- bands and cut-offs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [(0, "None–minimal"), (4, "None–minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
     (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"),
     (27, "Severe")],
)  # fmt: skip
def test_phq9_band_boundaries(total, band):
    assert scored("phq9", total).band == band


@pytest.mark.parametrize("total, positive", [(9, False), (10, True), (27, True)])
def test_phq9_screens_positive_from_10(total, positive):
    assert bool(scored("phq9", total).positive_screens) is positive


@pytest.mark.parametrize(
    "total, band",
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
     (14, "Moderate"), (15, "Severe"), (21, "Severe")],
)  # fmt: skip
def test_gad7_band_boundaries(total, band):
    assert scored("gad7", total).band == band


@pytest.mark.parametrize("total, positive", [(9, False), (10, True)])
def test_gad7_screens_positive_from_10(total, positive):
    assert bool(scored("gad7", total).positive_screens) is positive


@pytest.mark.parametrize("key", ["phq2", "gad2"])
@pytest.mark.parametrize("total, positive", [(0, False), (2, False), (3, True), (6, True)])
def test_two_item_screens_are_positive_from_3(key, total, positive):
    result = scored(key, total)
    assert result.band is None
    assert bool(result.positive_screens) is positive


def test_phq9_item_9_above_zero_is_critical_whatever_the_total():
    answers = {n: 0 for n in range(1, 10)} | {9: 1}
    result = score(library.get("phq9"), answers)
    assert result.total == 1 and result.band == "None–minimal"
    assert [hit.item for hit in result.critical_items_triggered] == [9]
    assert result.flags()["critical_items"][0]["answer"] == 1


def test_phq9_item_9_at_zero_is_not_critical_even_when_severe():
    answers = {n: 3 for n in range(1, 9)} | {9: 0}
    result = score(library.get("phq9"), answers)
    assert result.band == "Severe" and not result.critical_items_triggered


def test_phq9_difficulty_question_is_recorded_but_not_scored():
    answers = {n: 1 for n in range(1, 10)} | {10: 3}
    result = score(library.get("phq9"), answers)
    assert result.total == 9 and result.answers[10] == 3 and result.missing_items == ()


# ---- PCL-5: cut-off and DSM cluster rule ---------------------------------------------------


def pcl5(values: dict[int, int]):
    return score(library.get("pcl5"), {n: values.get(n, 0) for n in range(1, 21)})


def test_pcl5_both_rules_positive():
    result = pcl5({n: 2 for n in range(1, 21)})
    assert result.total == 40
    pd = result.provisional_diagnosis
    assert pd.by_cutoff and pd.by_dsm_rule and pd.agree


def test_pcl5_cutoff_boundary_is_33():
    below = pcl5({n: 4 for n in range(1, 9)})  # 32
    at = pcl5({n: 4 for n in range(1, 9)} | {9: 1})  # 33
    assert below.total == 32 and not below.provisional_diagnosis.by_cutoff
    assert at.total == 33 and at.provisional_diagnosis.by_cutoff


def test_pcl5_dsm_rule_met_below_the_cutoff():
    # One B, one C, two D, two E, each rated 2 (Moderately): 12, far below 33.
    result = pcl5({1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2})
    pd = result.provisional_diagnosis
    assert result.total == 12
    assert pd.by_dsm_rule and not pd.by_cutoff and not pd.agree


def test_pcl5_cutoff_met_without_the_dsm_rule():
    # Every intrusion and arousal item at 4, but no avoidance (C) item at 2 or more.
    result = pcl5({n: 4 for n in (1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20)} | {6: 1, 7: 1})
    pd = result.provisional_diagnosis
    assert result.total == 46
    assert pd.by_cutoff and not pd.by_dsm_rule
    assert {c.key: c.met for c in pd.clusters} == {"B": True, "C": False, "D": False, "E": True}


def test_pcl5_items_rated_1_do_not_count_towards_clusters():
    result = pcl5({n: 1 for n in range(1, 21)})
    assert all(c.count == 0 for c in result.provisional_diagnosis.clusters)
    assert not result.provisional_diagnosis.by_dsm_rule


def test_pcl5_has_no_severity_band():
    assert pcl5({n: 4 for n in range(1, 21)}).band is None


# ---- WHO-5 --------------------------------------------------------------------------------


def test_who5_percentage_is_raw_times_4():
    result = score(library.get("who5"), {1: 5, 2: 4, 3: 3, 4: 2, 5: 5})
    assert (result.raw_total, result.total, result.percentage, result.reported) == (19, 19, 76, 76)
    assert not result.positive_screens


def test_who5_full_range():
    assert score(library.get("who5"), dict.fromkeys(range(1, 6), 0)).percentage == 0
    assert score(library.get("who5"), dict.fromkeys(range(1, 6), 5)).percentage == 100


def screen_keys(result) -> set[str]:
    return {s.key for s in result.positive_screens}


def test_who5_raw_below_13_prompts_assessment():
    at_13 = score(library.get("who5"), {1: 3, 2: 3, 3: 3, 4: 2, 5: 2})
    at_12 = score(library.get("who5"), {1: 3, 2: 3, 3: 2, 4: 2, 5: 2})
    assert at_13.total == 13 and "raw_below_13" not in screen_keys(at_13)
    assert at_12.total == 12 and "raw_below_13" in screen_keys(at_12)


def test_who5_any_item_rated_0_or_1_prompts_assessment_even_with_a_high_total():
    result = score(library.get("who5"), {1: 5, 2: 5, 3: 5, 4: 5, 5: 1})
    assert result.percentage == 84
    assert screen_keys(result) == {"item_0_or_1"}


def test_who5_28_percent_or_less_suggests_depression():
    at_28 = score(library.get("who5"), {1: 2, 2: 2, 3: 1, 4: 1, 5: 1})
    at_32 = score(library.get("who5"), {1: 2, 2: 2, 3: 2, 4: 1, 5: 1})
    assert at_28.percentage == 28 and "percentage_28_or_less" in screen_keys(at_28)
    assert at_32.percentage == 32 and "percentage_28_or_less" not in screen_keys(at_32)


# ---- AUDIT-C by sex -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sex, total, positive",
    [("male", 3, False), ("male", 4, True), ("female", 2, False), ("female", 3, True)],
)
def test_auditc_cutoff_depends_on_sex(sex, total, positive):
    result = scored("auditc", total, sex=sex)
    assert len(result.screens) == 1 and result.screens[0].sex == sex
    assert bool(result.positive_screens) is positive


@pytest.mark.parametrize("sex", [None, "unknown", "intersex"])
def test_auditc_reports_both_cutoffs_when_sex_is_not_male_or_female(sex):
    result = scored("auditc", 3, sex=sex)
    assert {(s.sex, s.positive) for s in result.screens} == {("male", False), ("female", True)}


# ---- refusals ----------------------------------------------------------------------------


def test_missing_answer_is_refused_not_scored_as_zero():
    answers = answers_totalling("phq9", 12)
    del answers[4]
    with pytest.raises(ScoringError, match=r"PHQ-9: item 4 unanswered.*every item is answered"):
        score(library.get("phq9"), answers)


def test_none_counts_as_missing():
    answers = answers_totalling("gad7", 8) | {2: None, 5: None}
    with pytest.raises(ScoringError, match=r"GAD-7: items 2, 5 unanswered"):
        score(library.get("gad7"), answers)


@pytest.mark.parametrize("value", [4, -1, 7])
def test_out_of_range_answer_is_refused(value):
    answers = answers_totalling("phq9", 0) | {3: value}
    with pytest.raises(ScoringError, match=rf"item 3: {value} is not an allowed answer "
                                           r"\(allowed: 0, 1, 2, 3\)"):  # fmt: skip
        score(library.get("phq9"), answers)


def test_who5_answer_6_is_out_of_range():
    with pytest.raises(ScoringError, match="allowed: 0, 1, 2, 3, 4, 5"):
        score(library.get("who5"), {1: 6, 2: 0, 3: 0, 4: 0, 5: 0})


@pytest.mark.parametrize("value", [True, 1.0, "1", [1]])
def test_answer_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(ScoringError, match="must be a whole number"):
        score(library.get("phq2"), {1: value, 2: 0})


@pytest.mark.parametrize("key", [0, 3, "10", "item1", True])
def test_unknown_item_is_refused(key):
    with pytest.raises(ScoringError, match="PHQ-2"):
        # (not {1: 0, …}: True == 1 would merge with key 1 in a dict)
        score(library.get("phq2"), {2: 0, key: 0})


def test_item_numbers_may_arrive_as_strings_from_json():
    result = score(library.get("phq2"), {"1": 2, "2": 1})
    assert result.total == 3 and result.answers == {1: 2, 2: 1}


def test_same_item_twice_is_refused():
    with pytest.raises(ScoringError, match="answered twice"):
        score(library.get("phq2"), {1: 0, "1": 1, 2: 0})


# ---- prorating (no shipped instrument prorates; a test instrument does) -------------------


@pytest.fixture
def prorating_gad7() -> library.Instrument:
    data = json.loads((library.DIRECTORY / "gad7.json").read_text())
    data["key"] = "gad7_prorated"
    data["scoring"]["missing"] = {"prorate": {"max_missing": 2}}
    data["critical_items"] = [
        {"item": 7, "op": ">", "value": 2, "label": "test critical", "source": "test"}
    ]
    return library.parse(copy.deepcopy(data), "test instrument")


def test_prorated_total_scales_the_answered_items_exactly(prorating_gad7):
    # 6 answered items sum to 10; 10 × 7 / 6 = 11.67 → 12.
    result = score(prorating_gad7, {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 7: 0})
    assert result.prorated and result.missing_items == (6,)
    assert (result.raw_total, result.total, result.band) == (10, 12, "Moderate")


def test_prorating_rounds_half_up(prorating_gad7):
    # 6 answered items sum to 3; 3 × 7 / 6 = 3.5 → 4.
    result = score(prorating_gad7, {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 7: 0})
    assert (result.raw_total, result.total) == (3, 4)


def test_prorating_refuses_more_missing_than_allowed(prorating_gad7):
    with pytest.raises(ScoringError, match="at most 2 missing"):
        score(prorating_gad7, {1: 1, 2: 1, 3: 1, 4: 1})


def test_prorating_never_fills_in_a_critical_item(prorating_gad7):
    with pytest.raises(ScoringError, match="item 7 is a critical item"):
        score(prorating_gad7, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1})


def test_complete_form_is_not_marked_prorated():
    assert not scored("phq9", 14).prorated
