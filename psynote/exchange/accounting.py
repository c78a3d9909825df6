"""The accounting of disclosures (45 CFR 164.528;
docs/clinical-sources.md#accounting-of-disclosures).

A client may ask for the disclosures made in the 6 years before their request. Left out,
as the rule exempts them: disclosures under the client's authorization, and those under
an exception marked not accountable in `bases` (treatment, payment, operations, to the
client, persons involved in care, national security, custody, limited data set).
Each entry gives the date, the recipient (with their address when known), a brief
description of what was disclosed and its purpose.
"""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from psynote.clients.models import Client
from psynote.exchange.bases import ACCOUNTABLE
from psynote.exchange.models import Disclosure

YEARS = 6


def period_start(today: date) -> date:
    """The same calendar day `YEARS` years before (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - YEARS)
    except ValueError:
        return today.replace(year=today.year - YEARS, day=28)


def entries(client: Client, today: date | None = None) -> QuerySet[Disclosure]:
    today = today or timezone.localdate()
    since = timezone.make_aware(datetime.combine(period_start(today), time.min))
    return (
        Disclosure.objects.filter(
            client=client,
            authorization__isnull=True,
            exception__in=ACCOUNTABLE,
            disclosed_at__gte=since,
        )
        .select_related("by")
        .order_by("disclosed_at")
    )


def description(disclosure: Disclosure) -> str:
    start, end = disclosure.date_from, disclosure.date_to
    if start and end:
        period = f"from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    elif start:
        period = f"from {start:%Y-%m-%d}"
    elif end:
        period = f"up to {end:%Y-%m-%d}"
    else:
        period = "all dates"
    return f"{disclosure.scope_display} ({period}; {disclosure.record_count} records)"


def purpose(disclosure: Disclosure) -> str:
    return f"{disclosure.purpose} — basis: {disclosure.get_exception_display()}"
