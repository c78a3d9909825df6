"""What other apps ask of a client's treatment plan. None of these check access or write
an audit event: the caller has already fetched the client through an access function
and audits what its page shows.

- `in_force(client)`: the version in force (the newest signed one), or None.
- `active_objectives(client)`: the objectives a progress note may work on.
- `review_status(client)` and `reviews_due(client_ids)`: when the plan is due for review
  and whether that date has passed, for one client or a whole caseload in one query.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from psynote.clients.models import Client
from psynote.plans.models import Objective, PlanVersion, TreatmentPlan


def in_force(client: Client) -> PlanVersion | None:
    version = (
        PlanVersion.objects.signed()
        .filter(plan__client=client)
        .select_related("plan__client")
        .order_by("-number")
        .first()
    )
    if version is not None:
        version.superseded = False
    return version


@dataclass(frozen=True)
class ActiveObjective:
    key: str  # the objective's key: stable across plan versions
    text: str
    baseline: str
    target: str
    target_date: date | None
    status: str
    goal_text: str
    problem_text: str
    diagnosis_code: str


def active_objectives(client: Client) -> list[ActiveObjective]:
    """Open objectives (not achieved, not discontinued) of the version in force, in plan
    order; an empty list when the client has no signed plan. Decrypts the version's texts."""
    version = in_force(client)
    if version is None:
        return []
    texts = version.texts()
    objectives = (
        Objective.objects.filter(version=version, status__in=Objective.OPEN)
        .select_related("goal__problem")
        .order_by("goal__problem__position", "goal__position", "position")
    )

    def text(key: Any, field: str = "text") -> str:
        return texts.get(str(key), {}).get(field, "")

    return [
        ActiveObjective(
            key=str(o.key),
            text=text(o.key),
            baseline=text(o.key, "baseline"),
            target=text(o.key, "target"),
            target_date=o.target_date,
            status=o.status,
            goal_text=text(o.goal.key),
            problem_text=text(o.goal.problem.key),
            diagnosis_code=o.goal.problem.diagnosis_code,
        )
        for o in objectives
    ]


class ReviewStatus(NamedTuple):
    due: date | None
    overdue: bool


def _status(due: date | None, today: date) -> ReviewStatus:
    return ReviewStatus(due, due is not None and due < today)


def review_status(client: Client, *, today: date | None = None) -> ReviewStatus:
    """The in-force version's review date, and whether it has passed (as of `today`,
    default the practice's today); (None, False) while the client has no signed plan."""
    version = in_force(client)
    return _status(version.review_due if version else None, today or timezone.localdate())


def reviews_due(client_ids: Iterable[Any], *, today: date | None = None) -> dict[Any, ReviewStatus]:
    """client id → ReviewStatus, for the clients among `client_ids` with a signed plan.
    One query, however many clients."""
    newest = (
        PlanVersion.objects.signed()
        .filter(plan=OuterRef("pk"))
        .order_by("-number")
        .values("review_due")[:1]
    )
    rows = (
        TreatmentPlan.objects.filter(client_id__in=list(client_ids))
        .annotate(due=Subquery(newest))
        .filter(due__isnull=False)
        .values_list("client_id", "due")
    )
    today = today or timezone.localdate()
    return {client_id: _status(due, today) for client_id, due in rows}
