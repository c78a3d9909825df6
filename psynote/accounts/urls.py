from django.http import HttpResponse
from django.urls import path


def _placeholder(request, **kwargs):  # replaced by the real views
    return HttpResponse("placeholder")


urlpatterns = [
    path("", _placeholder, name="home"),
    path("users/", _placeholder, name="user_list"),
    path("account/", _placeholder, name="account"),
]
