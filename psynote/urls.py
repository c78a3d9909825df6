from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from psynote.accounts import idle
from psynote.accounts import views as account_views

urlpatterns = [
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("session/status/", idle.session_status, name="session_status"),
    path("session/keep-alive/", idle.session_keep_alive, name="session_keep_alive"),
    path("session/signed-in/", idle.signed_in_again, name="signed_in_again"),
    path("", include("psynote.accounts.urls")),
    path("", include("psynote.chart.urls")),
    path("", include("psynote.clients.urls")),
    path("", include("psynote.visits.urls")),
    path("", include("psynote.notes.urls")),
    path("", include("psynote.plans.urls")),
    path("", include("psynote.measures.urls")),
    path("", include("psynote.exchange.urls")),
    path("", include("psynote.records.urls")),
    path("", include("psynote.hours.urls")),
    path("", include("psynote.groups.urls")),
    path("", include("psynote.visits.participant_urls")),
    path("", include("psynote.search.urls")),
    path("", include("psynote.supervision.urls")),
    path("", include("psynote.operators.urls")),  # the installation's operator (ADR 0017)
    path("api/v1/", include("psynote.api_urls")),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", RedirectView.as_view(url=static("psynote/favicon.svg"), permanent=True),
         name="favicon"),
]

# A database refusing a write outside any view (a session saved on the way out): 503 (ADR 0012).
handler500 = "psynote.lib.database_errors.server_error"
