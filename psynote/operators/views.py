"""The operator's pages: the practices of the installation, their counts and health, and
a new practice with its first admin (ADR 0017). Nothing here opens a record."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts.access import require_operator
from psynote.accounts.views import show_errors
from psynote.operators import actions, health
from psynote.operators.forms import PracticeForm


def _list(request: HttpRequest, *, verify: bool) -> HttpResponse:
    context = {
        "rows": health.practices_health(verify=verify),
        "installation": health.installation_health(verify=verify),
        "verified": verify,
    }
    return render(request, "operators/practice_list.html", context)


@require_GET
@require_operator
def practice_list(request: HttpRequest) -> HttpResponse:
    return _list(request, verify=False)


@require_POST
@require_operator
def practice_verify(request: HttpRequest) -> HttpResponse:
    """Recompute every chain (and compare it with its checkpoints): yes or no per practice."""
    return _list(request, verify=True)


@require_http_methods(["GET", "POST"])
@require_operator
def practice_new(request: HttpRequest) -> HttpResponse:
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = actions.create_practice(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            # Shown once, on this answer (no-store), never stored in clear.
            return render(request, "operators/practice_created.html", {"made": made})
    return render(request, "operators/practice_new.html", {"form": form})
