from django.urls import include, path

from psynote.accounts import views as account_views

urlpatterns = [
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
]
