"""Published rules as a receiving clinician reads them: the PCL-5 cut-off range 31–33
(flagged for review) beside the ≥33 rule, and NHS Talking Therapies recovery being not
applicable to a client who was not a case at the start
(docs/clinical-sources.md#instrument-scoring-bands-and-cut-offs and
#nhs-talking-therapies)."""

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from psynote.measures import actions, change, library
from psynote.measures.instrument_file import InstrumentDataError, parse
from psynote.measures.scoring import score


def pcl5_totalling(total: int) -> dict[int, int]:
    answers = {n: 0 for n in range(1, 21)}
    for i in range(total):
        answers[1 + i % 20] += 1
    return answers


@pytest.mark.parametrize(
    ("total", "in_range", "probable"),
    [(0, False, False), (30, False, False), (31, True, False), (32, True, False),
     (33, True, True), (34, False, True), (80, False, True)],
)
def test_pcl5_flags_the_published_range_for_review_beside_the_33_rule(total, in_range, probable):
    result = score(library.get("pcl5"), pcl5_totalling(total))
    assert result.total == total
    assert bool(result.review_flags) is in_range
    assert [s.key for s in result.review_flags] == (["review_range"] if in_range else [])
    assert result.provisional_diagnosis.by_cutoff is probable
    # The review flag is not a positive screen of its own.
    assert [s.key for s in result.positive_screens] == (["provisional_ptsd"] if probable else [])
    stored = {s["key"]: s for s in result.flags()["screens"]}
    assert stored["review_range"] == {
        "key": "review_range",
        "label": library.get("pcl5").cutoffs[0].label,
        "positive": in_range,
        "sex": None,
        "review": True,
    }
    assert "review" not in stored["provisional_ptsd"]


def test_a_cutoff_range_must_not_be_empty():
    data = json.loads((library.DIRECTORY / "pcl5.json").read_text())
    broken = copy.deepcopy(data)
    broken["cutoffs"][0]["max"] = 30
    with pytest.raises(InstrumentDataError, match=r"cutoffs\[0\]\.max"):
        parse(broken, "pcl5.json")
    broken["cutoffs"][0]["max"] = "33"
    with pytest.raises(InstrumentDataError, match=r"cutoffs\[0\]\.max"):
        parse(broken, "pcl5.json")


def test_the_measures_page_shows_the_range_and_flags_a_score_in_it(cast, login):
    actions.administer(by=cast.alice, client=cast.client, instrument_key="pcl5",
                       answers=pcl5_totalling(32), administered_at=timezone.now())
    html = login(cast.alice).get(f"/clients/{cast.client.pk}/measures/").content.decode()
    section = html[html.index('id="measure-pcl5"'):]
    assert "published cut-off range for probable PTSD (31–33)" in section
    assert "Score 33 or more: probable PTSD" in section
    assert 'class="badge warn review"' in section and "Review: Score 31–33" in section
    assert "Positive screen" not in section


def test_not_a_case_at_the_start_makes_recovery_not_applicable():
    outcome = change.talking_therapies(phq9=(9, 2), gad7=(7, 1))
    assert not outcome.case_at_start
    assert outcome.recovered is None and outcome.reliable_recovery is None
    assert outcome.reliable_improvement


@pytest.mark.parametrize(
    ("phq9", "recovered", "reliable_recovery"),
    [((16, 6), True, True), ((10, 8), True, False), ((22, 14), False, False),
     ((9, 2), None, None), ((8, 14), None, None)],
)
def test_recovery_is_yes_no_or_not_applicable(phq9, recovered, reliable_recovery):
    outcome = change.talking_therapies(phq9=phq9)
    assert outcome.recovered is recovered
    assert outcome.reliable_recovery is reliable_recovery


def test_the_measures_page_says_not_applicable_instead_of_no(cast, login):
    for days_ago, answers in ((28, {n: 1 for n in range(1, 10)} | {9: 0}),
                              (0, {n: 0 for n in range(1, 10)})):
        actions.administer(by=cast.alice, client=cast.client, instrument_key="phq9",
                           answers=answers, administered_at=timezone.now() - timedelta(days_ago))
    html = login(cast.alice).get(f"/clients/{cast.client.pk}/measures/").content.decode()
    section = html[html.index('id="talking-therapies"'):]
    assert "PHQ-9: 8 → 0" in section
    assert "<dt>Recovery</dt><dd>Not applicable (not a case at the start)</dd>" in section
    assert "<dt>Reliable recovery</dt><dd>Not applicable (not a case at the start)</dd>" in section
    assert "<dt>Recovery</dt><dd>No</dd>" not in section
