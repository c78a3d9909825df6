"""The dates of a recurring series and its bounds (at most 104 sessions, two years)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from psynote.visits import recurrence

TODAY = date(2026, 12, 1)


def test_104_weekly_sessions_from_today_fit_and_105_do_not():
    days = recurrence.dates(TODAY, "weekly", count=104, today=TODAY)
    assert len(days) == 104 and days[-1] == TODAY + timedelta(weeks=103)
    with pytest.raises(ValidationError, match="from 1 to 104"):
        recurrence.dates(TODAY, "weekly", count=105, today=TODAY)


def test_until_is_inclusive_and_capped():
    until = TODAY + timedelta(weeks=103)
    assert len(recurrence.dates(TODAY, "weekly", until=until, today=TODAY)) == 104
    with pytest.raises(ValidationError, match="at most 104"):
        recurrence.dates(TODAY, "weekly", until=until + timedelta(weeks=1), today=TODAY)
    fortnightly = recurrence.dates(TODAY, "fortnightly", until=until, today=TODAY)
    assert len(fortnightly) == 52 and fortnightly[1] - fortnightly[0] == timedelta(weeks=2)


def test_a_single_appointment_ignores_the_series_fields():
    assert recurrence.dates(TODAY, "none", count=5, today=TODAY) == [TODAY]


@pytest.mark.parametrize(("first", "repeat", "count", "until"), [
    (TODAY - timedelta(days=1), "none", None, None),
    (TODAY + timedelta(days=800), "none", None, None),
    (TODAY, "weekly", 0, None),
    (TODAY, "weekly", -3, None),
    (TODAY, "weekly", None, None),
    (TODAY, "weekly", 3, TODAY + timedelta(weeks=3)),
    (TODAY, "weekly", None, TODAY - timedelta(days=1)),
    (TODAY, "daily", 3, None),
])
def test_refused(first, repeat, count, until):
    with pytest.raises(ValidationError):
        recurrence.dates(first, repeat, count=count, until=until, today=TODAY)
