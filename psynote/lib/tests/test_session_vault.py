"""Secrets split between the server-side session and a browser cookie
(psynote.lib.session_vault)."""

from importlib import import_module

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from psynote.lib import session_vault

SECRET = b"\x07" * 32


def _request(session=None, cookie: str | None = None, secure: bool = False):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    request = RequestFactory().get("/", secure=secure)
    request.session = session if session is not None else store()
    if cookie is not None:
        request.COOKIES[session_vault.COOKIE_NAME] = cookie
    return request


def _cookie_of(request) -> str:
    response = HttpResponse()
    session_vault.finish(request, response)
    return response.cookies[session_vault.COOKIE_NAME].value


@pytest.mark.django_db
def test_what_is_put_comes_back_with_both_halves():
    request = _request()
    session_vault.put(request, "thing", SECRET)
    assert session_vault.get(request, "thing") == SECRET
    request.session.save()
    cookie = _cookie_of(request)

    later = _request(request.session.__class__(request.session.session_key), cookie)
    assert session_vault.get(later, "thing") == SECRET


@pytest.mark.django_db
def test_neither_half_alone_opens_it():
    request = _request()
    session_vault.put(request, "thing", SECRET)
    request.session.save()
    cookie = _cookie_of(request)
    store = request.session.__class__

    assert session_vault.get(_request(store(request.session.session_key)), "thing") is None
    assert session_vault.get(_request(store(), cookie), "thing") is None
    other = _request()
    session_vault.put(other, "thing", b"\x01" * 32)
    assert session_vault.get(_request(store(request.session.session_key),
                                      _cookie_of(other)), "thing") is None
    for junk in ("", "not base64!", "QUJD"):
        assert session_vault.get(_request(store(request.session.session_key), junk),
                                 "thing") is None


@pytest.mark.django_db
def test_the_session_holds_no_secret_in_clear():
    request = _request()
    session_vault.put(request, "thing", SECRET)
    request.session.save()
    stored = request.session.__class__(request.session.session_key).load()
    assert SECRET.hex() not in repr(stored) and repr(SECRET) not in repr(stored)
    assert set(stored[session_vault.SESSION_KEY]) == {"kid", "items"}


@pytest.mark.django_db
def test_the_cookie_is_httponly_samesite_strict_and_secure_over_https():
    for secure in (False, True):
        request = _request(secure=secure)
        session_vault.put(request, "thing", SECRET)
        response = HttpResponse()
        session_vault.finish(request, response)
        morsel = response.cookies[session_vault.COOKIE_NAME]
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Strict"
        assert bool(morsel["secure"]) is secure
        assert morsel["path"] == "/"


@pytest.mark.django_db
def test_a_second_secret_shares_the_sessions_cookie_key():
    request = _request()
    session_vault.put(request, "one", SECRET)
    cookie = _cookie_of(request)
    again = _request(request.session, cookie)
    session_vault.put(again, "two", b"\x02" * 32)
    response = HttpResponse()
    session_vault.finish(again, response)
    assert session_vault.COOKIE_NAME not in response.cookies  # the browser's key still fits
    assert session_vault.get(again, "one") == SECRET
    assert session_vault.get(again, "two") == b"\x02" * 32
    session_vault.drop(again, "one")
    assert session_vault.get(again, "one") is None


@pytest.mark.django_db
def test_a_cookie_outliving_its_session_is_deleted():
    request = _request(cookie="QUJD")
    response = HttpResponse()
    session_vault.finish(request, response)
    assert response.cookies[session_vault.COOKIE_NAME].value == ""
    assert response.cookies[session_vault.COOKIE_NAME]["max-age"] == 0
