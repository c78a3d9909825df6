from django.urls import path

from psynote.visits import participant_views

urlpatterns = [
    path("sessions/<uuid:session_id>/participants/", participant_views.session_participants,
         name="session_participants"),
    path("sessions/<uuid:session_id>/participants/<int:participant_id>/remove/",
         participant_views.session_participant_remove, name="session_participant_remove"),
]
