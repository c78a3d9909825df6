from django.urls import path

from psynote.exchange import views

urlpatterns = [
    path(
        "clients/<uuid:client_id>/authorizations/",
        views.authorization_list,
        name="authorization_list",
    ),
    path(
        "clients/<uuid:client_id>/authorizations/new/",
        views.authorization_new,
        name="authorization_new",
    ),
    path(
        "authorizations/<uuid:authorization_id>/",
        views.authorization_detail,
        name="authorization_detail",
    ),
    path(
        "authorizations/<uuid:authorization_id>/signed-form/",
        views.authorization_form,
        name="authorization_form",
    ),
    path(
        "authorizations/<uuid:authorization_id>/revoke/",
        views.authorization_revoke,
        name="authorization_revoke",
    ),
    path("clients/<uuid:client_id>/part2/", views.record_flag_part2, name="record_flag_part2"),
    path("clients/<uuid:client_id>/disclose/", views.disclosure_new, name="disclosure_new"),
    path(
        "clients/<uuid:client_id>/accounting-of-disclosures/",
        views.disclosure_accounting,
        name="disclosure_accounting",
    ),
    path("disclosures/", views.disclosure_log, name="disclosure_log"),
    path("practice-key/", views.practice_key, name="practice_key"),
]
