"""The accounting of disclosures (45 CFR 164.528;
docs/clinical-sources.md#accounting-of-disclosures).

A client may ask for the disclosures made in the 6 years before their request. Left out,
as the rule exempts them: disclosures under the client's authorization, and those under
an exception marked not accountable in `bases` (treatment, payment, operations, to the
client, persons involved in care, national security, custody, limited data set).
Each entry gives the date, the recipient (with their address when known), a brief
description of what was disclosed and its purpose.

Repeated disclosures to the same recipient for the same purpose are summarised as
164.528(b)(3) allows: the first disclosure in full, then how many were made in the
period and the date of the last (`rows`).
"""

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

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
    # Selected by clear columns (basis, date); recipient and purpose are sealed, and open
    # with the key of the client the rows come through.
    return (
        client.disclosures.filter(
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


def _key(disclosure: Disclosure) -> tuple[str, ...]:
    """Same recipient, same purpose: compared without case or spacing differences."""
    def norm(text: str) -> str:
        return " ".join(text.casefold().split())

    return (norm(disclosure.recipient_name), norm(disclosure.recipient_organisation),
            norm(disclosure.purpose), disclosure.exception)


def rows(disclosures: Iterable[Disclosure]) -> list[dict[str, Any]]:
    """The accounting's rows, in order of first disclosure: each group of disclosures to
    one recipient for one purpose as its first disclosure in full, with `count` (the
    number made in the period), `last` (the last one, None when there is only one) and
    `frequency`, the sentence saying both (45 CFR 164.528(b)(3))."""
    groups: dict[tuple[str, ...], list[Disclosure]] = {}
    for disclosure in sorted(disclosures, key=lambda d: d.disclosed_at):
        groups.setdefault(_key(disclosure), []).append(disclosure)
    result = []
    for group in groups.values():
        first, last = group[0], group[-1]
        count = len(group)
        frequency = ""
        if count > 1:
            frequency = (f"{count} disclosures to this recipient for this purpose in the "
                         f"period; the last on {timezone.localtime(last.disclosed_at):%Y-%m-%d}")
        result.append({"disclosure": first, "description": description(first),
                       "purpose": purpose(first), "count": count,
                       "last": last if count > 1 else None, "frequency": frequency})
    return result
