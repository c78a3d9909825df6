from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from psynote.accounts.models import ApiToken
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


def test_repeats_to_one_recipient_for_one_purpose_are_summarised(record, login):
    """45 CFR 164.528(b)(3): the first disclosure in full, the number made, the last date."""
    law = {"exception": "required_by_law", "justification": "Court order."}
    first = disclose(record, date(2025, 1, 2), **law)
    disclose(record, date(2025, 2, 2), **law)
    last = disclose(record, date(2025, 4, 9), **law)
    threat = disclose(record, date(2025, 3, 1), exception="serious_threat",
                      justification="Imminent danger.")
    rows = accounting.rows(accounting.entries(record.client, TODAY))
    assert [(r["disclosure"], r["count"], r["last"]) for r in rows] == [
        (first, 3, last), (threat, 1, None)]
    assert rows[0]["frequency"] == ("3 disclosures to this recipient for this purpose in "
                                    "the period; the last on 2025-04-09")
    assert rows[1]["frequency"] == ""
    # The page, the CSV and the API show the summary, not three rows.
    url = f"/clients/{record.client.pk}/accounting-of-disclosures/"
    page = login(record.alice).get(url).content.decode()
    assert page.count("Subpoena — basis") == 2 and "the last on 2025-04-09" in page
    csv = login(record.alice).get(url, {"format": "csv"}).content.decode().splitlines()
    assert len(csv) == 3 and csv[1].endswith(",3,2025-04-09")
    _, token = ApiToken.issue(user=record.alice, name="test")
    api = Client().get(f"/api/v1/clients/{record.client.pk}/accounting-of-disclosures",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert [(e["count"], e["last_date"]) for e in api["entries"]] == [
        (3, "2025-04-09"), (1, None)]


def test_another_recipient_or_purpose_is_its_own_entry(record):
    law = {"exception": "required_by_law", "justification": "Court order."}
    disclose(record, date(2025, 1, 2), **law)
    disclose(record, date(2025, 1, 3), **law)
    Disclosure.objects.create(
        client=record.client, disclosed_at=at(date(2025, 1, 4)),
        recipient_name="Fictional County Court", recipient_contact="1 Imaginary Plaza",
        scope=["progress_notes"], purpose="Audit by the state board", record_count=1,
        format="pdf", package_name="p.zip", package_sha256="0" * 64, by=record.alice, **law)
    rows = accounting.rows(accounting.entries(record.client, TODAY))
    assert [r["count"] for r in rows] == [2, 1]
