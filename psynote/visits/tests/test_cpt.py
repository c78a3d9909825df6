"""CPT suggestions against the time rules in docs/clinical-sources.md#cpt-time-bands.

The bands are written out here a second time, from the table, so that the code is checked
against the source rather than against itself.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psynote.visits import cpt

TIMED = [
    cpt.PSYCHOTHERAPY,
    cpt.PSYCHOTHERAPY_WITH_EM,
    cpt.CRISIS,
    cpt.FAMILY_WITH_CLIENT,
    cpt.FAMILY_WITHOUT_CLIENT,
]
UNTIMED = {cpt.GROUP: "90853", cpt.MULTI_FAMILY_GROUP: "90849", cpt.DIAGNOSTIC_EVALUATION: "90791"}
# docs/clinical-sources.md#interactive-complexity: +90785 with 90791/2, 90832/4/7,
# +90833/6/8, 90853 only.
IC_ALLOWED = {"90791", "90792", "90832", "90834", "90837", "+90833", "+90836", "+90838", "90853"}
IC_NEVER = {"90839", "+90840", "90846", "90847"}
minutes = st.integers(min_value=0, max_value=300)


def expected_codes(service: str, m: int) -> list[str]:
    """docs/clinical-sources.md#cpt-time-bands, read directly off the table."""
    if service in UNTIMED:
        return [UNTIMED[service]]
    if service in (cpt.PSYCHOTHERAPY, cpt.PSYCHOTHERAPY_WITH_EM):
        codes = (
            ("90832", "90834", "90837")
            if service == cpt.PSYCHOTHERAPY
            else ("+90833", "+90836", "+90838")
        )
        if 16 <= m <= 37:
            return [codes[0]]
        if 38 <= m <= 52:
            return [codes[1]]
        return [codes[2]] if m >= 53 else []
    if service == cpt.CRISIS:
        if m < 30:
            return []
        if m <= 74:
            return ["90839"]
        # each further 30 minutes beyond the first 74: 75-104 one unit, 105-134 two, ...
        return ["90839"] + ["+90840"] * ((m - 75) // 30 + 1)
    code = "90847" if service == cpt.FAMILY_WITH_CLIENT else "90846"
    return [code] if m >= 26 else []


@given(service=st.sampled_from(TIMED + list(UNTIMED)), m=minutes)
def test_every_service_and_duration_gets_the_code_of_its_band(service, m):
    assert cpt.suggest(service, m).codes == expected_codes(service, m)


@given(service=st.sampled_from(TIMED + list(UNTIMED)), m=minutes)
def test_a_suggestion_holds_exactly_one_base_code_never_a_sum(service, m):
    codes = cpt.suggest(service, m, interactive_complexity=True).codes
    base = [c for c in codes if c not in ("+90840", "+90785")]
    assert len(base) == (1 if codes else 0)
    if "+90840" in codes:
        assert base == ["90839"]


@given(service=st.sampled_from(TIMED + list(UNTIMED)), m=minutes)
def test_interactive_complexity_is_added_only_to_the_codes_that_allow_it(service, m):
    without = cpt.suggest(service, m).codes
    with_ic = cpt.suggest(service, m, interactive_complexity=True)

    if without and without[0] in IC_ALLOWED:
        assert with_ic.codes == without + ["+90785"]
    else:
        assert with_ic.codes == without
        assert "+90785" not in with_ic.codes
    assert not (IC_NEVER & set(with_ic.codes) and "+90785" in with_ic.codes)


@given(m=minutes)
def test_without_interactive_complexity_it_is_never_added(m):
    for service in TIMED + list(UNTIMED):
        assert "+90785" not in cpt.suggest(service, m).codes


@pytest.mark.parametrize(
    ("service", "m", "codes"),
    [
        (cpt.PSYCHOTHERAPY, 15, []),
        (cpt.PSYCHOTHERAPY, 16, ["90832"]),
        (cpt.PSYCHOTHERAPY, 37, ["90832"]),
        (cpt.PSYCHOTHERAPY, 38, ["90834"]),
        (cpt.PSYCHOTHERAPY, 52, ["90834"]),
        (cpt.PSYCHOTHERAPY, 53, ["90837"]),
        (cpt.PSYCHOTHERAPY, 180, ["90837"]),
        (cpt.PSYCHOTHERAPY_WITH_EM, 15, []),
        (cpt.PSYCHOTHERAPY_WITH_EM, 16, ["+90833"]),
        (cpt.PSYCHOTHERAPY_WITH_EM, 38, ["+90836"]),
        (cpt.PSYCHOTHERAPY_WITH_EM, 53, ["+90838"]),
        (cpt.CRISIS, 29, []),
        (cpt.CRISIS, 30, ["90839"]),
        (cpt.CRISIS, 74, ["90839"]),
        (cpt.CRISIS, 75, ["90839", "+90840"]),
        (cpt.CRISIS, 104, ["90839", "+90840"]),
        (cpt.CRISIS, 105, ["90839", "+90840", "+90840"]),
        (cpt.FAMILY_WITH_CLIENT, 25, []),
        (cpt.FAMILY_WITH_CLIENT, 26, ["90847"]),
        (cpt.FAMILY_WITHOUT_CLIENT, 25, []),
        (cpt.FAMILY_WITHOUT_CLIENT, 26, ["90846"]),
        (cpt.GROUP, 0, ["90853"]),
        (cpt.GROUP, 200, ["90853"]),
        (cpt.MULTI_FAMILY_GROUP, 90, ["90849"]),
        (cpt.DIAGNOSTIC_EVALUATION, 60, ["90791"]),
    ],
)
def test_band_edges_from_the_domain_table(service, m, codes):
    assert cpt.suggest(service, m).codes == codes


@pytest.mark.parametrize(
    ("service", "m", "codes"),
    [
        (cpt.PSYCHOTHERAPY, 45, ["90834", "+90785"]),
        (cpt.PSYCHOTHERAPY_WITH_EM, 20, ["+90833", "+90785"]),
        (cpt.GROUP, 90, ["90853", "+90785"]),
        (cpt.DIAGNOSTIC_EVALUATION, 60, ["90791", "+90785"]),
        (cpt.CRISIS, 60, ["90839"]),
        (cpt.CRISIS, 80, ["90839", "+90840"]),
        (cpt.FAMILY_WITH_CLIENT, 50, ["90847"]),
        (cpt.FAMILY_WITHOUT_CLIENT, 50, ["90846"]),
        (cpt.PSYCHOTHERAPY, 10, []),  # nothing to add to
    ],
)
def test_interactive_complexity_examples(service, m, codes):
    assert cpt.suggest(service, m, interactive_complexity=True).codes == codes


def test_refused_interactive_complexity_is_explained():
    suggestion = cpt.suggest(cpt.CRISIS, 60, interactive_complexity=True)
    assert "+90785" in suggestion.reason and "not billable" in suggestion.reason


@pytest.mark.parametrize("service", TIMED)
def test_timed_services_need_start_and_stop(service):
    suggestion = cpt.suggest(service, None)
    assert suggestion.codes == [] and suggestion.text == "none"
    assert "start and stop" in suggestion.reason


@pytest.mark.parametrize("service", TIMED)
def test_a_stop_before_the_start_suggests_nothing(service):
    assert cpt.suggest(service, -5).codes == []


@pytest.mark.parametrize("service", list(UNTIMED))
def test_untimed_services_need_no_times(service):
    assert cpt.suggest(service, None).codes == [UNTIMED[service]]


def test_an_unknown_service_suggests_nothing():
    assert cpt.suggest("hypnosis", 50).codes == []


def test_text_joins_the_codes_in_billing_order():
    assert cpt.suggest(cpt.CRISIS, 110).text == "90839 +90840 +90840"
