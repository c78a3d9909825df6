"""Refuse NUL characters in query strings and form fields before any view sees them.

PostgreSQL text cannot hold NUL, so a `?q=%00` that reached a query would fail there as a
server error; no legitimate form or filter carries one.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MESSAGE = "The request contains a NUL character, which no field accepts."


class RejectNullBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        fields = [*request.GET.lists()]
        # The API reads its own bodies (reading a multipart form here would consume the
        # stream under it); its JSON parser refuses NUL itself.
        if not api and request.method == "POST":
            fields += [*request.POST.lists()]
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
            if api:
                return JsonResponse({"detail": MESSAGE, "errors": []}, status=400)
            return HttpResponseBadRequest(MESSAGE)
        return self.get_response(request)
