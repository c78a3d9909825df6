import pytest
from django.core.exceptions import ImproperlyConfigured

from psynote.lib import smtp_url


def test_plain_smtp_with_port():
    found = smtp_url.parse("smtp://127.0.0.1:2525")
    assert found["EMAIL_HOST"] == "127.0.0.1" and found["EMAIL_PORT"] == 2525
    assert not found["EMAIL_USE_TLS"] and not found["EMAIL_USE_SSL"]


def test_starttls_and_credentials_are_decoded():
    found = smtp_url.parse("smtp+starttls://front%40example.org:p%40ss%3Aword@mail.example.org")
    assert found["EMAIL_PORT"] == 587 and found["EMAIL_USE_TLS"]
    assert found["EMAIL_HOST_USER"] == "front@example.org"
    assert found["EMAIL_HOST_PASSWORD"] == "p@ss:word"


def test_smtps_defaults_to_465():
    found = smtp_url.parse("smtps://mail.example.org")
    assert found["EMAIL_PORT"] == 465 and found["EMAIL_USE_SSL"] and not found["EMAIL_USE_TLS"]


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://host:notaport",
                                 "mail.example.org:25"])
def test_a_bad_url_stops_start_up_without_echoing_it(url):
    with pytest.raises(ImproperlyConfigured) as error:
        smtp_url.parse(url.replace("smtp://", "smtp://user:SECRETPW@") if "@" in url else url)
    assert "SECRETPW" not in str(error.value)


def test_the_password_is_never_in_the_error():
    with pytest.raises(ImproperlyConfigured) as error:
        smtp_url.parse("smtq://user:SECRETPW@mail.example.org")
    assert "SECRETPW" not in str(error.value)
