from django.urls import path

from psynote.visits import views

urlpatterns = [
    path("clients/<uuid:client_id>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/<uuid:session_id>/edit/", views.session_edit, name="session_edit"),
]
