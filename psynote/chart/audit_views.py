"""The privacy officer's audit pages, routed here because they name clients and check the
signed clinical records. The log's own machinery (filters, seq-keyset pages, the CSV) is
`audit.views`, which knows nothing clinical; this module hands it the two things only the
clinical apps know.
"""

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from psynote.audit import views as audit
from psynote.clients.models import Client
from psynote.exchange.integrity import disclosure_problems
from psynote.lib.integrity import Problem
from psynote.notes.integrity import signed_records_problems


def client_names(practice_id: int, client_ids: set[str]) -> dict[str, str]:
    """The practice's clients among `client_ids` (as audit events store them), by id."""
    valid = []
    for value in client_ids:
        try:
            valid.append(Client._meta.pk.to_python(value))
        except ValidationError:  # an id that is no client's just shows no name
            continue
    return {
        str(client.pk): client.display_name
        for client in Client.objects.filter(practice_id=practice_id, pk__in=valid).only(
            "pk", "first_name", "last_name", "preferred_name"
        )
    }


def _record_problems(practice_id: int) -> Iterator[Problem]:
    """Signed notes, addenda and plans, then the disclosure log, against the chain."""
    yield from signed_records_problems(practice_id)
    yield from disclosure_problems(practice_id)


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    return audit.audit_log(request, client_names=client_names)


@require_POST
@login_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    return audit.audit_verify(request, record_problems=_record_problems)


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    return audit.audit_export(request, client_names=client_names)
