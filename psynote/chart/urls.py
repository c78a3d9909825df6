from django.urls import path

from psynote.chart import audit_views, handoff_views, note_pdf_views, plan_views, views

urlpatterns = [
    path("today/", views.dashboard, name="dashboard"),
    path("caseload/", views.caseload, name="caseload"),
    path("clients/<uuid:client_id>/", views.client_chart, name="client_chart"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("clients/<uuid:client_id>/plan/", plan_views.plan_detail, name="plan_detail"),
    path("clients/<uuid:client_id>/handoff/", handoff_views.handoff_summary,
         name="handoff_summary"),
    path("clients/<uuid:client_id>/handoff.pdf", handoff_views.handoff_pdf, name="handoff_pdf"),
    path("notes/<uuid:note_id>/pdf/", note_pdf_views.note_pdf, name="note_pdf"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/verify/", audit_views.audit_verify, name="audit_verify"),
    path("audit/export.csv", audit_views.audit_export, name="audit_export"),
]
