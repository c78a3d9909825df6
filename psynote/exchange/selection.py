"""Which records a disclosure of `scope` over `date_range` contains.

One definition, used for the disclosure log's record list, for the signed hashes in the
package manifest and (so the three agree) by the format builders. Only signed progress
notes and signed plan versions are part of the record that leaves the practice; drafts
never do. Psychotherapy notes are the disclosing clinician's own, fetched through the
author-only access function: nobody discloses another clinician's process notes.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from psynote.clients.models import Client
from psynote.exchange.bases import RecordKind
from psynote.measures.models import Administration
from psynote.notes.access import psychotherapy_notes_for
from psynote.notes.models import Addendum, ProgressNote
from psynote.supervision.record import in_record

DateRange = tuple[date | None, date | None]


def _within(prefix: str, date_range: DateRange) -> Q:
    start, end = date_range
    q = Q()
    if start is not None:
        q &= Q(**{f"{prefix}__gte": start})
    if end is not None:
        q &= Q(**{f"{prefix}__lte": end})
    return q


def progress_notes(client: Client, date_range: DateRange) -> QuerySet[ProgressNote]:
    # Notes held for a supervisor's approval are not part of the record yet.
    return (
        in_record(ProgressNote.objects.signed())
        .filter(client=client)
        .filter(_within("session__date", date_range))
        .order_by("session__date", "pk")
    )


def addenda(notes: QuerySet[ProgressNote]) -> QuerySet[Addendum]:
    return Addendum.objects.filter(note__in=notes).order_by("signed_at", "pk")


def measures(client: Client, date_range: DateRange) -> QuerySet[Administration]:
    # Through the client, so every row opens its sealed scores with the client's own key.
    return (
        client.administrations.filter(_within("administered_at__date", date_range))
        .order_by("administered_at")
    )


def plan_versions(client: Client, date_range: DateRange) -> QuerySet | None:
    """Signed plan versions, or None while the plans app is not installed."""
    if not apps.is_installed("psynote.plans"):
        return None
    from psynote.plans.models import PlanVersion

    return (
        PlanVersion.objects.signed()
        .filter(plan__client=client)
        .filter(_within("signed_at__date", date_range))
        .order_by("number")
    )


def psychotherapy_notes(by: Any, client: Client, date_range: DateRange) -> QuerySet:
    dated = (Q(session__isnull=False) & _within("session__date", date_range)) | (
        Q(session__isnull=True) & _within("created_at__date", date_range)
    )
    return (
        psychotherapy_notes_for(by)
        .filter(client=client)
        .filter(dated)
        .select_related("session", "author")
        .order_by("created_at")
    )


@dataclass
class Selection:
    """Record kind → ids, and the signed hashes a manifest vouches for."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    signed: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.ids.values())


def select(by: Any, client: Client, scope: frozenset[str], date_range: DateRange) -> Selection:
    chosen = Selection()
    if RecordKind.DEMOGRAPHICS in scope:
        chosen.ids["demographics"] = [str(client.pk)]
    if RecordKind.DIAGNOSES in scope:
        chosen.ids["diagnoses"] = [
            str(pk) for pk in client.diagnoses.order_by("pk").values_list("pk", flat=True)
        ]
    if RecordKind.PROGRESS_NOTES in scope:
        notes = progress_notes(client, date_range)
        rows = list(notes.values_list("pk", "content_hash"))
        chosen.ids["progress_notes"] = [str(pk) for pk, _ in rows]
        chosen.signed["progress_notes"] = {str(pk): digest for pk, digest in rows}
        extra = list(addenda(notes).values_list("pk", "content_hash"))
        if extra:
            chosen.ids["addenda"] = [str(pk) for pk, _ in extra]
            chosen.signed["addenda"] = {str(pk): digest for pk, digest in extra}
    if RecordKind.MEASURES in scope:
        chosen.ids["measures"] = [
            str(pk) for pk in measures(client, date_range).values_list("pk", flat=True)
        ]
    if RecordKind.PLANS in scope:
        versions = plan_versions(client, date_range)
        rows = list(versions.values_list("pk", "content_hash")) if versions is not None else []
        chosen.ids["plans"] = [str(pk) for pk, _ in rows]
        if rows:
            chosen.signed["plans"] = {str(pk): digest for pk, digest in rows}
    if RecordKind.PSYCHOTHERAPY_NOTES in scope:
        chosen.ids["psychotherapy_notes"] = [
            str(pk)
            for pk in psychotherapy_notes(by, client, date_range).values_list("pk", flat=True)
        ]
    return chosen
