from django.urls import include, path

from psynote.accounts import views as account_views

urlpatterns = [
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("", include("psynote.accounts.urls")),
    path("", include("psynote.chart.urls")),
    path("", include("psynote.clients.urls")),
    path("", include("psynote.visits.urls")),
    path("", include("psynote.notes.urls")),
    path("", include("psynote.plans.urls")),
    path("", include("psynote.measures.urls")),
    path("", include("psynote.exchange.urls")),
    path("", include("psynote.records.urls")),
    path("api/v1/", include("psynote.api_urls")),
]
