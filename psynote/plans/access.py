"""Access to treatment plans: whoever may read the client's record reads the plan
(Need.CLINICAL: the care team, and the supervisor of a supervisee on it); the care team
writes it (Need.WRITE_CLINICAL). Anything else is a 404, audited as `access.denied`.
"""

from typing import Any

from django.core.exceptions import ValidationError

from psynote.clients.access import Need, clients_for, deny, get_client_for
from psynote.clients.models import Client
from psynote.plans.models import PlanVersion, TreatmentPlan


def _need(write: bool) -> Need:
    return Need.WRITE_CLINICAL if write else Need.CLINICAL


def plans_for(user: Any, *, write: bool = False):  # type: ignore[no-untyped-def]
    return TreatmentPlan.objects.filter(client__in=clients_for(user, _need(write)))


def get_plan_for(
    user: Any, client_id: object, *, write: bool = False
) -> tuple[Client, TreatmentPlan | None]:
    """The client (404 unless the user may read, or with write=True write, their record)
    and their treatment plan, None while they have none."""
    client = get_client_for(user, client_id, _need(write))
    return client, TreatmentPlan.objects.filter(client=client).first()


def get_version_for(user: Any, version_id: object, *, write: bool = False) -> PlanVersion:
    """One plan version, any status. write=True: only a member of the client's care team
    gets it (whether the version may still change is the actions' business)."""
    try:
        return (
            PlanVersion.objects.with_superseded()
            .select_related("plan__client", "created_by", "signed_by")
            .get(pk=version_id, plan__in=plans_for(user, write=write))
        )
    except (PlanVersion.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "plan_version", version_id, _need(write)) from None


def get_draft_for(user: Any, client_id: object) -> tuple[Client, PlanVersion | None]:
    """The client (404 unless on their care team) and their plan's draft, if one exists."""
    client, plan = get_plan_for(user, client_id, write=True)
    if plan is None:
        return client, None
    draft = plan.versions.drafts().select_related("plan__client", "created_by").first()
    return client, draft
