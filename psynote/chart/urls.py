from django.http import HttpResponse
from django.urls import path


def _placeholder(request, **kwargs):  # replaced by the real views
    return HttpResponse("placeholder")


urlpatterns = [
    path("caseload/", _placeholder, name="caseload"),
    path("clients/", _placeholder, name="client_list"),
]
