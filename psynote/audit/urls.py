from django.http import HttpResponse
from django.urls import path


def _placeholder(request, **kwargs):  # replaced by the real views
    return HttpResponse("placeholder")


urlpatterns = [
    path("audit/", _placeholder, name="audit_log"),
]
