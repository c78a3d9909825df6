"""Sending a self-report link by email (`measures.link_mail`) from the client's measures
page. Same access as making a link: the client's care team (WRITE_CLINICAL)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from psynote.clients.access import Need, get_client_for
from psynote.lib.forms import add_errors
from psynote.measures import link_mail, views
from psynote.measures.forms import LinkForm


@login_required
@require_POST
def measure_link_email(request: HttpRequest, client_id: Any) -> HttpResponse:
    client = get_client_for(request.user, client_id, Need.WRITE_CLINICAL)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link = link_mail.email_self_report_link(
                by=request.user,
                client=client,
                instrument_key=request.POST.get("instrument", ""),
                days=form.cleaned_data["days"],
                url_for=lambda token: request.build_absolute_uri(
                    reverse("self_report", args=[token])
                ),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Link emailed to the client's address on file. It works once and expires "
                f"{link.expires_at:%Y-%m-%d %H:%M}.",
            )
            return redirect("measures_client", client_id=client.pk)
    return views._client_page(request, client, status=400, link_form=form)
