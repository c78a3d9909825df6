from django.urls import path

from psynote.measures import email_views, views

urlpatterns = [
    path("clients/<uuid:client_id>/measures/", views.measures_client, name="measures_client"),
    path(
        "clients/<uuid:client_id>/measures/<slug:key>/administer/",
        views.measure_administer,
        name="measure_administer",
    ),
    path("clients/<uuid:client_id>/measures/link/", views.measure_link, name="measure_link"),
    path("clients/<uuid:client_id>/measures/link/email/", email_views.measure_link_email,
         name="measure_link_email"),
    path(
        "clients/<uuid:client_id>/measures/schedule/",
        views.measure_schedule,
        name="measure_schedule",
    ),
    path("alerts/<int:alert_id>/resolve/", views.risk_alert_resolve, name="risk_alert_resolve"),
    path("caseload/outcomes/", views.measures_caseload, name="measures_caseload"),
    path("r/<str:token>/", views.self_report, name="self_report"),
]
