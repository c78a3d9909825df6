"""URLs under /api/v1/: the API with each noun's router, and JSON for every other answer.

Django's own 404 and ninja's 405 are plain text or HTML; an API client should get the
same `{"detail", "errors"}` body as from every other error.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from psynote.api import api
from psynote.clients.api import router as clients_router
from psynote.exchange.api import router as exchange_router
from psynote.groups.api import router as groups_router
from psynote.hours.api import router as hours_router
from psynote.measures.api import router as measures_router
from psynote.notes.api import router as notes_router
from psynote.notes.session_api import router as session_note_router
from psynote.plans.api import router as plans_router
from psynote.records.api import router as records_router
from psynote.search.api import router as search_router
from psynote.supervision.api import router as supervision_router
from psynote.visits.api import router as visits_router
from psynote.visits.calendar_api import router as calendar_router
from psynote.visits.participant_api import router as participants_router

api.add_router("", clients_router)
api.add_router("", visits_router)
api.add_router("", calendar_router)
api.add_router("", notes_router)
api.add_router("", session_note_router)
api.add_router("", plans_router)
api.add_router("", measures_router)
api.add_router("", exchange_router)
api.add_router("", records_router)
api.add_router("", hours_router)
api.add_router("", groups_router)
api.add_router("", participants_router)
api.add_router("", search_router)
api.add_router("", supervision_router)


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {"detail": f"method not allowed; use {allowed}", "errors": []}, status=405
            )
            response["Allow"] = allowed
        return response

    return wrapped


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Not found", "errors": []}, status=404)


# Not `app_name`: that name at module level would namespace this whole URL module.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app, _namespace)),
    re_path(r"", not_found),
]
