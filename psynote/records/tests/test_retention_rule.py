"""The retention date rule (docs/clinical-sources.md#record-retention): the later of N
years after the last service and M years after majority, around its boundaries."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from psynote.records.retention import Rule, add_years, destroy_after

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
feb29s = (
    st.integers(min_value=1904, max_value=2196)
    .filter(lambda y: y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    .map(lambda y: date(y, 2, 29))
)


def test_adult_is_kept_seven_years_after_last_service():
    assert destroy_after(last_service=date(2020, 6, 1), date_of_birth=date(1980, 1, 1)) == date(
        2027, 6, 1
    )


def test_minor_is_kept_three_years_after_turning_eighteen_when_that_is_later():
    # Last seen at 5: 7 years on they are 12; 18 + 3 = 21 is later.
    assert destroy_after(last_service=date(2015, 1, 10), date_of_birth=date(2010, 4, 2)) == date(
        2031, 4, 2
    )


def test_minor_seen_until_seventeen_is_kept_seven_years_after_last_service():
    assert destroy_after(last_service=date(2027, 4, 1), date_of_birth=date(2010, 4, 2)) == date(
        2034, 4, 1
    )


def test_feb_29_birthday_reaches_majority_on_march_first_in_a_common_year():
    # 2008-02-29 + 18 = 2026 (no Feb 29) → Mar 1; + 3 = 2029-03-01.
    assert destroy_after(last_service=date(2012, 1, 1), date_of_birth=date(2008, 2, 29)) == date(
        2029, 3, 1
    )


def test_feb_29_last_service_lands_on_march_first():
    assert add_years(date(2024, 2, 29), 7) == date(2031, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_a_practice_may_keep_records_longer():
    rule = Rule(years_after_last_service=10, years_after_majority=5, age_of_majority=21)
    assert destroy_after(
        last_service=date(2020, 6, 1), date_of_birth=date(1980, 1, 1), rule=rule
    ) == date(2030, 6, 1)
    assert destroy_after(
        last_service=date(2012, 6, 1), date_of_birth=date(2005, 1, 1), rule=rule
    ) == date(2031, 1, 1)


@given(last=days, born=days)
def test_never_before_seven_years_after_last_service(last, born):
    after = destroy_after(last_service=last, date_of_birth=born)
    assert after >= add_years(last, 7)
    assert after >= last + timedelta(days=7 * 365)


@given(last=days, born=days)
def test_never_before_twenty_one(last, born):
    after = destroy_after(last_service=last, date_of_birth=born)
    assert after >= add_years(born, 21)
    assert (after.year - born.year) - ((after.month, after.day) < (born.month, born.day)) >= 21


@given(last=days, born=days)
def test_is_exactly_the_later_of_the_two_rules(last, born):
    after = destroy_after(last_service=last, date_of_birth=born)
    assert after in (add_years(last, 7), add_years(add_years(born, 18), 3))


@given(day=feb29s, years=st.integers(min_value=1, max_value=30))
def test_feb_29_never_moves_earlier_than_the_anniversary(day, years):
    moved = add_years(day, years)
    assert moved >= date(day.year + years, 2, 28)
    assert moved in (date(day.year + years, 3, 1), date(day.year + years, 2, 28) + timedelta(1))


@given(last=days, born=days, later=st.integers(min_value=0, max_value=5000))
def test_a_later_last_service_never_shortens_retention(last, born, later):
    sooner = destroy_after(last_service=last, date_of_birth=born)
    moved = destroy_after(last_service=last + timedelta(days=later), date_of_birth=born)
    assert moved >= sooner
