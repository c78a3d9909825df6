"""When a client's record may be destroyed (APA Record Keeping Guidelines;
docs/clinical-sources.md#record-retention):
N years after the last service, or M years after a minor reaches majority, whichever is
later. Pure date arithmetic here; the practice's numbers come from its RetentionPolicy.

A date N years on from Feb 29 falls on Feb 28 in a common year: the anniversary has not
come until the day the year's February ends, and we never destroy early, so we take the
later candidate, Mar 1. (Keeping a record one day longer harms nobody.)
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Max, Q

from psynote.clients.models import Client
from psynote.records.models import Destruction, LegalHold, RetentionPolicy


@dataclass(frozen=True)
class Rule:
    years_after_last_service: int = 7
    years_after_majority: int = 3
    age_of_majority: int = 18


def add_years(day: date, years: int) -> date:
    """`day` moved on `years` years; Feb 29 into a common year becomes Mar 1."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 → a year without one
        return date(day.year + years, 3, 1)


def destroy_after(*, last_service: date, date_of_birth: date, rule: Rule = Rule()) -> date:
    """The first day on which the record may be destroyed."""
    after_service = add_years(last_service, rule.years_after_last_service)
    majority = add_years(date_of_birth, rule.age_of_majority)
    after_majority = add_years(majority, rule.years_after_majority)
    return max(after_service, after_majority)


def rule_for(practice: Any) -> Rule:
    policy = RetentionPolicy.objects.filter(practice=practice).first()
    if policy is None:
        return Rule()
    return Rule(
        policy.years_after_last_service, policy.years_after_majority, policy.age_of_majority
    )


def last_service(client: Client) -> date:
    """The last session held; a client never seen counts from when they were registered."""
    held = client.sessions.filter(attendance="attended").aggregate(last=Max("date"))["last"]
    return held or client.created_at.date()


@dataclass(frozen=True)
class Due:
    client: Client
    last_service: date
    destroy_after: date
    on_hold: bool


def retention_status(client: Client, rule: Rule | None = None) -> Due:
    rule = rule or rule_for(client.practice)
    last = last_service(client)
    return Due(
        client=client,
        last_service=last,
        destroy_after=destroy_after(
            last_service=last, date_of_birth=client.date_of_birth, rule=rule
        ),
        on_hold=LegalHold.objects.filter(client=client, released_at__isnull=True).exists(),
    )


def retention_due(practice: Any, today: date) -> list[Due]:
    """Clients of `practice` whose records may be destroyed on `today` (held ones included,
    marked, so the privacy officer sees them), oldest first. Destroyed records are gone."""
    rule = rule_for(practice)
    destroyed = Destruction.objects.filter(status=Destruction.Status.DONE).values("client_id")
    clients = (
        Client.objects.filter(practice=practice)
        .exclude(pk__in=destroyed)
        .annotate(last_held=Max("sessions__date", filter=Q(sessions__attendance="attended")))
    )
    held = set(
        LegalHold.objects.filter(client__practice=practice, released_at__isnull=True).values_list(
            "client_id", flat=True
        )
    )
    due = []
    for client in clients:
        last = client.last_held or client.created_at.date()
        after = destroy_after(last_service=last, date_of_birth=client.date_of_birth, rule=rule)
        if after <= today:
            due.append(Due(client, last, after, client.pk in held))
    return sorted(due, key=lambda d: (d.destroy_after, d.client.last_name))
