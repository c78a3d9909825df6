"""Not found and not allowed are pages of the app (DEBUG off, as in production): styled,
saying what happened in words, with a way back; and /favicon.ico is never a 404."""

import uuid

from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views.defaults import permission_denied


def _styled_with_a_way_back(page: str) -> None:
    assert "/static/psynote/app.css" in page and 'rel="icon"' in page
    assert 'href="/"' in page and "Go to your start page" in page
    assert "Skip to main content" in page


def test_a_missing_page_is_styled_with_a_way_back(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1" in page and "Page not found" in page and "Log in" in page
    _styled_with_a_way_back(page)


def test_a_record_one_may_not_see_is_the_same_page(cast, login, settings):
    settings.DEBUG = False
    response = login(cast.bob).get(f"/clients/{cast.client.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and cast.client.display_name not in page
    assert "Your caseload" in page and "Log out" in page  # signed in: the app around it
    missing = login(cast.bob).get(f"/clients/{uuid.uuid4()}/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()


def test_not_allowed_is_styled_with_a_way_back(cast, settings):
    settings.DEBUG = False
    request = RequestFactory().get("/somewhere/")
    request.user = cast.alice
    request.session = SessionStore()
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and "Nothing was changed" in page
    _styled_with_a_way_back(page)


def test_an_expired_form_token_is_the_styled_page(settings):
    settings.DEBUG = False
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and "security token has expired" in page
    _styled_with_a_way_back(page)


def test_the_favicon_is_linked_and_never_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/psynote/favicon.svg"
    assert 'rel="icon" href="/static/psynote/favicon.svg"' in client.get("/login/").content.decode()
