"""The client's treatment-plan page: the version in force with, under each objective, the
signed progress notes that worked on it (the "golden thread"), the draft if there is one,
and every earlier version. It lives here because it reads both plans and notes, and
neither of those apps may import the other in that direction.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.notes.queries import golden_thread
from psynote.plans import queries as plan_queries
from psynote.plans.access import get_plan_for
from psynote.plans.outline import objectives_of, outline


@login_required
@require_GET
def plan_detail(request: HttpRequest, client_id: Any) -> HttpResponse:
    user = request.user
    client, plan = get_plan_for(user, client_id)
    versions = list(plan.versions.with_superseded()) if plan is not None else []
    current = next((v for v in versions if v.is_signed and not v.superseded), None)
    draft = next((v for v in versions if not v.is_signed), None)
    context: dict[str, Any] = {
        "client": client,
        "plan": plan,
        "versions": versions,
        "current": current,
        "draft": draft,
        "writes": can(user, client, Need.WRITE_CLINICAL),
        "review": plan_queries.review_status(client),
    }
    if current is not None:
        shown = outline(current)
        thread = golden_thread(client)
        for objective in objectives_of(shown):
            objective["thread"] = thread.get(objective["key"], [])
        context["outline"] = shown
    log.record_by(
        user,
        "plan.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"page": "plan", "version": str(current.pk) if current else ""},
    )
    return render(request, "chart/plan_detail.html", context)
