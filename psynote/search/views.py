"""The search page: a form, and the snippets of the matching notes the user may read.

The query is clinical content, so it is POSTed: it never sits in a URL, where browser
history, a proxy's access log or a Referer header would keep it. Responses are never
cached (NoStoreMiddleware). Anyone but a clinician or supervisor gets
the 404 (audited) every out-of-reach page gives.
"""

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from psynote.clients.access import deny
from psynote.notes.template_access import templates_for
from psynote.search import psychotherapy, queries


def _date(value: str, label: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label} must be a date (YYYY-MM-DD)")
        return None


def filters_from(params: Any, problems: list[str]) -> queries.Filters:
    return queries.Filters(
        query=(params.get("q") or "").strip(),
        client_id=params.get("client") or None,
        date_from=_date(params.get("from") or "", "the start date", problems),
        date_to=_date(params.get("to") or "", "the end date", problems),
        template=params.get("template") or "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not queries.may_search(user):
        raise deny(user, "search", "", "search")
    problems: list[str] = []
    params = request.POST if request.method == "POST" else {"client": request.GET.get("client")}
    filters = filters_from(params, problems)
    context: dict[str, Any] = {
        "filters": filters,
        "clients": queries.client_choices(user),
        "templates": templates_for(user).order_by("name"),
        "searched": request.method == "POST",
    }
    if request.method == "POST":
        problems += queries.check(filters, user)
    if request.method == "POST" and not problems:
        own = psychotherapy.search_own(user, filters)
        try:
            context["results"] = queries.run(user, filters, own_psychotherapy=own is not None)
            context["own"] = own
        except ValidationError as error:
            problems += error.messages
    context["problems"] = problems
    return render(request, "search/search.html", context, status=400 if problems else 200)
