"""Hour-log records for the access table (psynote/tests/test_access_table.py)."""

from typing import Any

from django.utils import timezone

from psynote.hours import actions
from psynote.hours.models import Entry, Report
from psynote.hours.report import sign_report
from psynote.hours.totals import licence_type_of


def hours_records(cast: Any) -> tuple[Entry, Report]:
    """An unconfirmed entry of sue's with sam, and a report sam signed for her."""
    today = timezone.localdate()
    category = licence_type_of(cast.sue).categories.get(name="Individual supervision")
    entry = actions.log_entry(by=cast.sue, supervisor=cast.sam, category=category, day=today,
                              minutes=60, format="video", notes="Fictional supervision.")
    report = sign_report(by=cast.sam, supervisee=cast.sue, start=today, end=today)
    return entry, report
