"""`Session.validate_constraints` decides in Python what Django would ask the database."""

from datetime import date, time
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model

from psynote.visits.models import Session

TIMES = [None, time(0, 30), time(5, 59), time(6, 0), time(6, 1), time(10, 0), time(10, 50),
         time(17, 59), time(18, 0), time(23, 30)]
ATTENDANCE = [*Session.Attendance.values, "bogus"]


def _errors(check: object) -> list[str]:
    try:
        check()  # type: ignore[operator]
    except ValidationError as refused:
        return sorted(refused.messages)
    return []


@pytest.mark.django_db
def test_constraints_checked_in_python_as_in_the_database() -> None:
    for start, end, attendance in product(TIMES, TIMES, ATTENDANCE):
        session = Session(date=date(2026, 1, 5), start_time=start, end_time=end,
                          attendance=attendance)
        # Django's own check, one query per constraint.
        assert _errors(session.validate_constraints) == _errors(
            lambda s=session: Model.validate_constraints(s)), (start, end, attendance)


@pytest.mark.django_db
def test_excluded_fields_are_not_checked_as_in_django() -> None:
    session = Session(date=date(2026, 1, 5), start_time=time(14, 0), end_time=time(11, 0),
                      attendance="bogus")
    for exclude in (["end_time"], ["attendance"], ["start_time", "attendance"]):
        assert _errors(lambda e=exclude: session.validate_constraints(e)) == _errors(
            lambda e=exclude: Model.validate_constraints(session, e))


@pytest.mark.django_db
def test_recording_a_session_asks_the_database_no_check(django_assert_num_queries) -> None:
    session = Session(date=date(2026, 1, 5), start_time=time(10), end_time=time(10, 50),
                      attendance="attended")
    with django_assert_num_queries(0):
        session.full_clean(exclude=["client", "clinician"], validate_unique=False)
