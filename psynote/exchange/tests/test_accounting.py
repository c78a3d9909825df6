from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from psynote.exchange import accounting
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.conftest import authorize

TODAY = date(2026, 3, 15)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def disclose(record, day: date, **basis) -> Disclosure:
    return Disclosure.objects.create(
        client=record.client,
        disclosed_at=at(day),
        recipient_name="Fictional County Court",
        recipient_contact="1 Imaginary Plaza",
        scope=["progress_notes"],
        purpose="Subpoena",
        record_count=3,
        format="pdf",
        package_name="p.zip",
        package_sha256="0" * 64,
        by=record.alice,
        **basis,
    )


def test_accountable_disclosures_are_listed_and_exempt_ones_are_not(record):
    required = disclose(
        record, date(2025, 1, 2), exception="required_by_law", justification="Court order."
    )
    threat = disclose(
        record, date(2025, 2, 2), exception="serious_threat", justification="Imminent danger."
    )
    disclose(record, date(2025, 3, 2), exception="treatment", justification="Referral.")
    disclose(record, date(2025, 3, 3), exception="to_individual", justification="Own copy.")
    disclose(record, date(2025, 3, 4), exception="payment", justification="Claim.")
    authorization = authorize(record.alice, record.client, {"progress_notes"})
    disclose(record, date(2025, 3, 5), authorization=authorization)
    assert list(accounting.entries(record.client, TODAY)) == [required, threat]


def test_the_six_year_boundary_includes_its_first_day_and_no_earlier(record):
    first = disclose(record, date(2020, 3, 15), exception="required_by_law", justification="A")
    disclose(record, date(2020, 3, 14), exception="required_by_law", justification="B")
    assert list(accounting.entries(record.client, TODAY)) == [first]


def test_another_clients_disclosures_are_not_in_the_accounting(record, cast):
    disclose(record, date(2025, 1, 2), exception="required_by_law", justification="A")
    assert list(accounting.entries(cast.other_client, TODAY)) == []


@given(st.dates(min_value=date(1910, 1, 1), max_value=date(2200, 12, 31)))
def test_the_period_starts_the_same_calendar_day_six_years_earlier(today):
    start = accounting.period_start(today)
    assert start.year == today.year - 6
    assert (start.month, start.day) == (today.month, today.day) or (
        (today.month, today.day) == (2, 29) and (start.month, start.day) == (2, 28)
    )
    assert today - start <= timedelta(days=6 * 366)


@pytest.mark.parametrize(
    "today,expected", [(date(2024, 2, 29), date(2018, 2, 28)), (date(2026, 1, 1), date(2020, 1, 1))]
)
def test_period_start_examples(today, expected):
    assert accounting.period_start(today) == expected


def test_an_entry_describes_what_and_why(record):
    entry = disclose(
        record, date(2025, 1, 2), exception="required_by_law", justification="Court order."
    )
    assert accounting.description(entry) == "Progress notes (signed) (all dates; 3 records)"
    assert accounting.purpose(entry).startswith("Subpoena — basis: Required by law")
