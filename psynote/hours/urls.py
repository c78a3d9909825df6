from django.urls import path

from psynote.hours import admin_views, views

urlpatterns = [
    path("hours/", views.hours_home, name="hours_home"),
    path("hours/entries/new/", views.hours_entry_new, name="hours_entry_new"),
    path("hours/entries/<uuid:entry_id>/edit/", views.hours_entry_edit, name="hours_entry_edit"),
    path("hours/entries/<uuid:entry_id>/delete/", views.hours_entry_delete,
         name="hours_entry_delete"),
    path("hours/entries/<uuid:entry_id>/confirm/", views.hours_entry_confirm,
         name="hours_entry_confirm"),
    path("hours/supervisees/<int:supervisee_id>/", views.hours_supervisee,
         name="hours_supervisee"),
    path("hours/supervisees/<int:supervisee_id>/reports/", views.hours_report_sign,
         name="hours_report_sign"),
    path("hours/reports/verify/", views.hours_report_verify, name="hours_report_verify"),
    path("hours/reports/<uuid:report_id>/", views.hours_report_download,
         name="hours_report_download"),
    path("hours/people/<int:user_id>/targets/", views.hours_targets, name="hours_targets"),
    path("hours/licence-types/", admin_views.hours_licence_types, name="hours_licence_types"),
    path("hours/licence-types/<int:licence_type_id>/", admin_views.hours_licence_type,
         name="hours_licence_type"),
]
