from django.urls import path

from psynote.operators import views

# Every name begins with "operator_": the operator's wall lets these through
# (accounts.middleware.operator_may_open), and only these besides the operator's account.
urlpatterns = [
    path("operator/practices/", views.practice_list, name="operator_practices"),
    path("operator/practices/new/", views.practice_new, name="operator_practice_new"),
    path("operator/practices/verify/", views.practice_verify, name="operator_practice_verify"),
]
