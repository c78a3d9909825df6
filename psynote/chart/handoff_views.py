"""The hand-off (transfer of care) summary: a read-only page and its PDF (`chart.handoff`).

Who reads it: anyone who may read the client's clinical record (the care team, a
supervisor of a supervisee's client, an emergency-access grant); its PDF, a copy to keep,
is the care team's only. It is offered on the
chart to a clinician who joined the client's care team recently, when the client came
to them from someone else; and it is always a tab of the chart. Each showing is audited
(`handoff.view`, `handoff.pdf`) with ids only.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from psynote.audit import log
from psynote.chart import handoff
from psynote.clients.access import Need, can, get_client_for
from psynote.clients.models import Client
from psynote.exchange import gate
from psynote.exchange.pdf import html_to_pdf

# A clinician who joined the care team within this many days, of a client who was in the
# practice before them, is offered the summary on the chart.
OFFER_DAYS = 30


def offer(user: Any, client: Client, care_team: list[Any]) -> Any:
    """When the user joined this client's care team, if that was a recent hand-off."""
    mine = next((m for m in care_team if m.user_id == user.pk), None)
    if mine is None or mine.added_at < timezone.now() - timedelta(days=OFFER_DAYS):
        return None
    # A client created with this clinician is theirs from the start: nothing was handed.
    if mine.added_at - client.created_at < timedelta(days=1):
        return None
    return mine.added_at


def _summary(request: HttpRequest, client_id: Any, need: Need) -> handoff.HandOff:
    client = get_client_for(request.user, client_id, need)
    return handoff.summary(client, today=timezone.localdate())


@login_required
@require_GET
def handoff_summary(request: HttpRequest, client_id: Any) -> HttpResponse:
    summary = _summary(request, client_id, Need.CLINICAL)
    log.record_by(request.user, "handoff.view", target_type="client",
                  target_id=summary.client.pk, client_id=summary.client.pk)
    return render(request, "chart/handoff.html", {
        "summary": summary,
        "client": summary.client,
        "can_download": can(request.user, summary.client, Need.WRITE_CLINICAL),
    })


@login_required
@require_GET
def handoff_pdf(request: HttpRequest, client_id: Any) -> HttpResponse:
    # The PDF is a copy to keep: the care team's, not a supervisor's or an emergency reader's.
    summary = _summary(request, client_id, Need.WRITE_CLINICAL)
    html = render_to_string("chart/handoff_pdf.html", {
        "summary": summary,
        "client": summary.client,
        "practice": summary.client.practice,
        "generated_at": timezone.localtime(),
    })
    try:
        document = html_to_pdf(html)
    except gate.Refused as error:
        messages.error(request, str(error))
        return redirect("handoff_summary", client_id=summary.client.pk)
    log.record_by(request.user, "handoff.pdf", target_type="client",
                  target_id=summary.client.pk, client_id=summary.client.pk)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="handoff-summary-{summary.today:%Y-%m-%d}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
