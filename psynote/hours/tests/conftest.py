from datetime import timedelta

import pytest
from django.utils import timezone

from psynote.hours import actions
from psynote.hours.models import Category
from psynote.hours.totals import licence_type_of


@pytest.fixture
def log(cast):
    """log(minutes=60, ...) -> a new entry of sue's with sam, individual supervision."""

    def _log(minutes: int = 60, *, days_ago: int = 1, category: str = "Individual supervision",
             notes: str = "", fmt: str = "video"):
        found = Category.objects.get(licence_type=licence_type_of(cast.sue), name=category)
        return actions.log_entry(by=cast.sue, supervisor=cast.sam, category=found,
                                 day=timezone.localdate() - timedelta(days=days_ago),
                                 minutes=minutes, format=fmt, notes=notes)

    return _log
