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


def hours_for_move(supervisee: Any, supervisor: Any) -> None:
    """A row in every hours table, for the practice-move round trip: a licence with a
    target, a confirmed entry with sealed meeting notes, and a signed report."""
    from decimal import Decimal

    today = timezone.localdate()
    licence_type = licence_type_of(supervisee)
    category = licence_type.categories.get(name="Individual supervision")
    actions.set_targets(by=supervisee, owner=supervisee, licence_type=licence_type,
                        targets={category.pk: Decimal("100")})
    entry = actions.log_entry(by=supervisee, supervisor=supervisor, category=category,
                              day=today, minutes=50, format="in_person",
                              notes="Fictional supervision meeting that moves.")
    actions.confirm_entry(by=supervisor, entry=entry)
    sign_report(by=supervisor, supervisee=supervisee, start=today, end=today)


def hours_texts() -> dict[str, str]:
    """Every entry's meeting notes as opened, by entry (for the move's comparison)."""
    return {f"hours entry {e.pk}": e.notes()
            for e in Entry.objects.select_related("supervisee__hours_licence").order_by("pk")}
