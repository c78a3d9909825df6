from django.urls import path

from psynote.notes import key_views, psychotherapy_views, template_views, views

urlpatterns = [
    path("sessions/<uuid:session_id>/note/", views.note_start, name="note_start"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/autosave/", views.note_autosave, name="note_autosave"),
    path("notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<uuid:note_id>/addenda/", views.addendum_add, name="addendum_add"),
    path(
        "clients/<uuid:client_id>/psychotherapy-notes/",
        psychotherapy_views.psychotherapy_note_list,
        name="psychotherapy_note_list",
    ),
    path(
        "psychotherapy-notes/<uuid:pnote_id>/",
        psychotherapy_views.psychotherapy_note_detail,
        name="psychotherapy_note_detail",
    ),
    path("psychotherapy-key/", key_views.psychotherapy_key, name="psychotherapy_key"),
    path("note-templates/", template_views.template_list, name="template_list"),
    path("note-templates/new/", template_views.template_new, name="template_new"),
    path("note-templates/editors/", template_views.template_editors, name="template_editors"),
    path("note-templates/<int:template_id>/", template_views.template_detail,
         name="template_detail"),
    path("note-templates/<int:template_id>/edit/", template_views.template_edit,
         name="template_edit"),
    path("note-templates/<int:template_id>/retire/", template_views.template_retire,
         name="template_retire"),
    path("note-templates/<int:template_id>/delete/", template_views.template_delete,
         name="template_delete"),
]
