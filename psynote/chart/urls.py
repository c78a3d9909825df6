from django.urls import path

from psynote.chart import plan_views, views

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("clients/<uuid:client_id>/", views.client_chart, name="client_chart"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("clients/<uuid:client_id>/plan/", plan_views.plan_detail, name="plan_detail"),
]
