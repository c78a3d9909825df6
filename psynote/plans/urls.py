from django.urls import path

from psynote.plans import views

urlpatterns = [
    path("plans/versions/<uuid:version_id>/", views.plan_version, name="plan_version"),
    path("clients/<uuid:client_id>/plan/edit/", views.plan_edit, name="plan_edit"),
    path("clients/<uuid:client_id>/plan/new/", views.plan_start, name="plan_start"),
    path("clients/<uuid:client_id>/plan/sign/", views.plan_sign, name="plan_sign"),
    path("clients/<uuid:client_id>/plan/discard/", views.plan_discard, name="plan_discard"),
]
