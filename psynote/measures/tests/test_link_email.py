"""Emailing a self-report link through a local SMTP server (aiosmtpd on 127.0.0.1; no
network): the message carries the link and no clinical content, the sending is audited,
and without SMTP the page says how to set it up."""

import json
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from psynote.audit.models import AuditEvent
from psynote.measures.models import SelfReportLink


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.SMTP_URL = f"smtp://127.0.0.1:{controller.port}"
    settings.EMAIL_NAMES_INSTRUMENT = False
    yield inbox
    controller.stop()


@pytest.fixture
def emailable(cast):
    cast.client.email = "fictional.client@example.org"
    cast.client.first_name, cast.client.last_name = "Quinby", "Marchetti"
    cast.client.save()
    return cast.client


def _send(client, target):
    return client.post(f"/clients/{target.pk}/measures/link/email/",
                       {"instrument": "phq9", "days": 7})


def test_the_link_is_emailed_with_no_clinical_content_and_audited(cast, login, smtp, emailable):
    browser = login(cast.alice)
    assert "Make the link and email it" in browser.get(
        f"/clients/{emailable.pk}/measures/").content.decode()
    response = _send(browser, emailable)
    assert response.status_code == 302
    [(recipients, message)] = smtp.messages
    assert recipients == ["fictional.client@example.org"]
    body = message.get_payload(decode=True).decode()
    assert "/r/" in body and "expires" in body
    everything = body + message["Subject"]
    for secret in ("PHQ", "phq9", emailable.first_name, emailable.last_name,
                   cast.alice.last_name, "depress", "F41"):
        assert secret.lower() not in everything.lower()
    link = SelfReportLink.objects.get()
    # The emailed token opens the questionnaire.
    token = body.split("/r/")[1].split("/")[0]
    assert SelfReportLink.hash_token(token) == link.token_hash
    event = AuditEvent.objects.get(action="self_report.link_email")
    assert event.target_id == str(link.pk)
    assert "example.org" not in event.detail and json.loads(event.detail) == {
        "instrument_named": False}


def test_the_instrument_is_named_only_when_the_practice_allows(cast, login, smtp, emailable,
                                                                settings):
    settings.EMAIL_NAMES_INSTRUMENT = True
    _send(login(cast.alice), emailable)
    [(_, message)] = smtp.messages
    assert "PHQ-9" in message.get_payload(decode=True).decode()


def test_without_smtp_the_page_explains_and_nothing_is_sent(cast, login, settings, emailable):
    settings.SMTP_URL, settings.EMAIL_HOST = "", "localhost"
    browser = login(cast.alice)
    page = browser.get(f"/clients/{emailable.pk}/measures/").content.decode()
    assert "PSYNOTE_SMTP_URL" in page and "Make the link and email it" not in page
    response = _send(browser, emailable)
    assert response.status_code == 400
    assert "Email is not set up" in response.content.decode()
    assert not SelfReportLink.objects.exists()
    assert not AuditEvent.objects.filter(action="self_report.link_email").exists()


def test_no_address_on_file_is_a_clear_refusal(cast, login, smtp):
    response = _send(login(cast.alice), cast.client)
    assert response.status_code == 400
    assert "no email address on file" in response.content.decode()
    assert not SelfReportLink.objects.exists() and not smtp.messages


def test_a_refusing_server_leaves_no_link(cast, login, settings, emailable):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SMTP_URL = "smtp://127.0.0.1:1"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    response = _send(login(cast.alice), emailable)
    assert response.status_code == 400
    assert "did not accept the message" in response.content.decode()
    assert not SelfReportLink.objects.exists()


def test_only_the_care_team_sends(cast, login, smtp, emailable):
    for user in (cast.bob, cast.sam, cast.fred, cast.ada, cast.pria):
        assert _send(login(user), emailable).status_code == 404
    assert not smtp.messages
