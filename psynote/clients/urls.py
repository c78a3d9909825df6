from django.urls import path

from psynote.clients import views

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<uuid:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<uuid:client_id>/care-team/", views.care_team, name="care_team"),
    path("clients/<uuid:client_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("diagnoses/<int:diagnosis_id>/status/", views.diagnosis_status, name="diagnosis_status"),
    path("icd10/", views.icd_search, name="icd_search"),
]
