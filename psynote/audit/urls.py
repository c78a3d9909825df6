from django.urls import path

from psynote.audit import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
