from django.urls import path

from psynote.search import views

urlpatterns = [
    path("search/", views.search, name="search"),
]
