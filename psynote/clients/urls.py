from django.urls import path

from psynote.clients import emergency_views, views

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<uuid:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<uuid:client_id>/care-team/", views.care_team, name="care_team"),
    path("clients/<uuid:client_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("diagnoses/<int:diagnosis_id>/status/", views.diagnosis_status, name="diagnosis_status"),
    path("icd10/", views.icd_search, name="icd_search"),
    # Emergency access ("break the glass"): docs/adr/0008-emergency-access.md.
    path("emergency-access/", emergency_views.emergency_access_list,
         name="emergency_access_list"),
    path("emergency-access/search/", emergency_views.emergency_search,
         name="emergency_access_search"),
    path("clients/<uuid:client_id>/emergency-access/", emergency_views.emergency_access_new,
         name="emergency_access_new"),
    path("emergency-access/<uuid:grant_id>/", emergency_views.emergency_access_detail,
         name="emergency_access_detail"),
    path("emergency-access/<uuid:grant_id>/end/", emergency_views.emergency_access_end,
         name="emergency_access_end"),
    path("emergency-access/<uuid:grant_id>/review/", emergency_views.emergency_access_review,
         name="emergency_access_review"),
]
