from django.urls import path

from psynote.supervision import views

urlpatterns = [
    path("supervision/", views.review_queue, name="review_queue"),
    path("supervision/users/<int:user_id>/", views.supervision_user, name="supervision_user"),
    path("notes/<uuid:note_id>/review/ready/", views.review_ready, name="review_ready"),
    path("notes/<uuid:note_id>/review/return/", views.review_return, name="review_return"),
    path("notes/<uuid:note_id>/review/comments/", views.review_comment,
         name="review_comment"),
    path("notes/<uuid:note_id>/review/approve/", views.review_approve, name="review_approve"),
    path("notes/<uuid:note_id>/review/cosign/", views.review_cosign, name="review_cosign"),
]
