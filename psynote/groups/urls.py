from django.urls import path

from psynote.groups import views

urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/<uuid:group_id>/", views.group_detail, name="group_detail"),
    path("groups/<uuid:group_id>/members/", views.group_member_add, name="group_member_add"),
    path("groups/<uuid:group_id>/members/<uuid:client_id>/remove/", views.group_member_remove,
         name="group_member_remove"),
    path("group-sessions/<uuid:group_session_id>/", views.group_session, name="group_session"),
]
