"""The page's side of the idle logout (accounts.idle): asking how long is left renews
nothing, staying signed in renews the clock, and a signed-out page gets an answer it can
act on (401), never the login page in place of one."""

import time

from django.test import Client

from psynote.audit.models import AuditEvent


def _age(client, seconds: float) -> None:
    session = client.session
    session["last_activity"] = time.time() - seconds
    session.save()


def test_status_says_how_long_is_left_without_renewing(cast, login, settings):
    client = login(cast.alice)
    client.get("/account/")
    _age(client, 300)  # stale enough that any other request would renew it
    before = client.session["last_activity"]
    response = client.get("/session/status/")
    assert response.status_code == 200
    data = response.json()
    assert data["signed_in"] is True and data["username"] == "alice"
    timeout = settings.IDLE_TIMEOUT_MINUTES * 60
    assert timeout - 302 <= data["seconds_left"] <= timeout - 299
    assert data["csrf_token"]
    assert client.session["last_activity"] == before
    assert response["Cache-Control"].startswith("max-age=0")


def test_other_requests_still_renew_the_clock(cast, login):
    client = login(cast.alice)
    client.get("/account/")
    _age(client, 300)
    before = client.session["last_activity"]
    client.get("/account/")
    assert client.session["last_activity"] > before + 290


def test_status_after_the_timeout_is_a_401_and_the_logout_is_audited(cast, login, settings):
    client = login(cast.alice)
    client.get("/account/")
    _age(client, settings.IDLE_TIMEOUT_MINUTES * 60 + 5)
    response = client.get("/session/status/")
    assert response.status_code == 401
    assert response.json() == {"signed_in": False}
    assert AuditEvent.objects.filter(action="logout.idle", actor_id=str(cast.alice.pk)).exists()
    # Signed out for real: the next page is the login page, which says why.
    page = client.get("/account/", follow=True).content.decode()
    assert "logged out after a period of inactivity" in page


def test_keep_alive_renews_the_clock(cast, login, settings):
    client = login(cast.alice)
    client.get("/account/")
    _age(client, 30)  # too recent for the middleware to renew on its own
    response = client.post("/session/keep-alive/")
    assert response.status_code == 200
    assert response.json()["seconds_left"] >= settings.IDLE_TIMEOUT_MINUTES * 60 - 1
    assert time.time() - client.session["last_activity"] < 5


def test_keep_alive_needs_post_and_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    client.get("/account/")
    assert client.get("/session/keep-alive/").status_code == 405
    assert client.post("/session/keep-alive/").status_code == 403
    token = client.get("/session/status/").json()["csrf_token"]
    response = client.post("/session/keep-alive/", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json()["signed_in"] is True


def test_signed_out_callers_get_401_not_the_login_page(db, client):
    assert client.get("/session/status/").status_code == 401
    assert client.post("/session/keep-alive/").status_code == 401
    response = client.get("/session/signed-in/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_signed_in_page_carries_the_idle_clock(cast, login, settings):
    client = login(cast.alice)
    client.get("/account/")
    _age(client, 100)
    page = client.get("/account/").content.decode()
    timeout = settings.IDLE_TIMEOUT_MINUTES * 60
    # The request renewed the clock (100 s is past the middleware's minute).
    assert f'data-idle-left="{timeout}"' in page or f'data-idle-left="{timeout - 1}"' in page
    assert 'data-session-status-url="/session/status/"' in page
    assert "data-session-notice hidden" in page
    login_page = Client().get("/login/").content.decode()
    assert "data-session-status-url" not in login_page


def test_signing_in_again_lands_on_a_page_that_says_so(cast, client):
    from psynote import testing as t

    response = client.post(
        "/login/?next=/session/signed-in/",
        {"username": "alice", "password": t.PASSWORD, "next": "/session/signed-in/"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Signed in again" in response.content.decode()
