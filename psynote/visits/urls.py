from django.urls import path

from psynote.visits import calendar_views, views

urlpatterns = [
    path("clients/<uuid:client_id>/sessions/new/", views.session_new, name="session_new"),
    path("sessions/<uuid:session_id>/edit/", views.session_edit, name="session_edit"),
    path("calendar/", calendar_views.calendar_week, name="calendar_week"),
    path("calendar/day/", calendar_views.calendar_day, name="calendar_day"),
    path("calendar/feed/", calendar_views.calendar_feed_manage, name="calendar_feed_manage"),
    path("calendar/feed/<str:feed_token>.ics", calendar_views.calendar_feed,
         name="calendar_feed"),
    path("clients/<uuid:client_id>/appointments/new/", calendar_views.appointment_new,
         name="appointment_new"),
    path("sessions/<uuid:session_id>/reschedule/", calendar_views.session_reschedule,
         name="session_reschedule"),
    path("sessions/<uuid:session_id>/cancel/", calendar_views.session_cancel,
         name="session_cancel"),
    path("sessions/<uuid:session_id>/no-show/", calendar_views.session_no_show,
         name="session_no_show"),
]
