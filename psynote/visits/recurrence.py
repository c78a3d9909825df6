"""Recurring appointments: the dates of a series, and the bounds that keep one booking
from filling the calendar for decades. Each date becomes its own session."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# Two years of weekly sessions: longer series are booked again when they run out.
MAX_OCCURRENCES = 104
BOOKING_HORIZON = timedelta(days=2 * 366)


class Repeat(models.TextChoices):
    NONE = "none", "Does not repeat"
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every other week"


STEP = {Repeat.WEEKLY: timedelta(weeks=1), Repeat.FORTNIGHTLY: timedelta(weeks=2)}


def booking_window(today: date | None = None) -> tuple[date, date]:
    """The first and last day an appointment may be booked on: today to two years on."""
    today = today or timezone.localdate()
    return today, today + BOOKING_HORIZON


def check_day(day: date, field: str = "date", *, today: date | None = None) -> None:
    first, last = booking_window(today)
    if not first <= day <= last:
        raise ValidationError({field: (
            f"Appointments are booked from today ({first:%Y-%m-%d}) up to two years ahead "
            f"({last:%Y-%m-%d}); record a past session from the client's chart instead."
        )})


def dates(first: date, repeat: str, *, count: int | None = None, until: date | None = None,
          today: date | None = None) -> list[date]:
    """The series' dates, first one first. A repeating series ends after `count` sessions
    or on `until` (one of the two); either way at most MAX_OCCURRENCES sessions."""
    check_day(first, today=today)
    if repeat == Repeat.NONE:
        return [first]
    if repeat not in STEP:
        raise ValidationError({"repeat": "Choose how the appointment repeats."})
    if (count is None) == (until is None):
        raise ValidationError({"count": "Give either the number of sessions or the last "
                                        "date of the series (one of the two)."})
    step = STEP[Repeat(repeat)]
    if count is not None:
        if not 1 <= count <= MAX_OCCURRENCES:
            raise ValidationError({"count": f"A series has from 1 to {MAX_OCCURRENCES} "
                                            f"sessions (you asked for {count})."})
        found = [first + step * n for n in range(count)]
        check_day(found[-1], "count", today=today)
        return found
    assert until is not None
    if until < first:
        raise ValidationError({"until": "The series cannot end before its first session."})
    check_day(until, "until", today=today)
    found = []
    day = first
    while day <= until:
        found.append(day)
        day += step
    if len(found) > MAX_OCCURRENCES:
        raise ValidationError({"until": f"That is {len(found)} sessions; a series has at most "
                                        f"{MAX_OCCURRENCES}. Choose an earlier last date."})
    return found
