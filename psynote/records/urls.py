from django.urls import path

from psynote.records import views

urlpatterns = [
    path("records/", views.rights_overview, name="rights_overview"),
    path("clients/<uuid:client_id>/rights/", views.client_rights, name="client_rights"),
    path(
        "clients/<uuid:client_id>/rights/access/",
        views.access_request_new,
        name="access_request_new",
    ),
    path("clients/<uuid:client_id>/rights/amendments/", views.amendment_new, name="amendment_new"),
    path(
        "records/access/<uuid:access_request_id>/produce/",
        views.access_request_produce,
        name="access_request_produce",
    ),
    path("records/amendments/<uuid:amendment_id>/", views.amendment_act, name="amendment_act"),
    path("records/retention/", views.retention, name="retention"),
    path("clients/<uuid:client_id>/legal-hold/", views.legal_hold_place, name="legal_hold_place"),
    path(
        "records/holds/<int:hold_id>/release/", views.legal_hold_release, name="legal_hold_release"
    ),
    path(
        "clients/<uuid:client_id>/destruction/",
        views.destruction_request,
        name="destruction_request",
    ),
    path(
        "records/destructions/<int:destruction_id>/",
        views.destruction_decide,
        name="destruction_decide",
    ),
]
