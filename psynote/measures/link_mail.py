"""Emailing a self-report link to the client (docs/operations.md#email).

The message carries no clinical content: not the client's name, not the clinician's, not
a score; only that the practice sent a short questionnaire, the link, and when it expires.
It names the instrument (e.g. "PHQ-9") only where the practice allows it
(PSYNOTE_EMAIL_NAMES_INSTRUMENT), since the name alone says what is being screened for.

Making the link and sending it are one transaction: if the mail server refuses, no link
exists (the token was never shown to anyone) and the clinician is told why. The sending is
audited as `self_report.link_email` with the link's id only, not the address.
"""

import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.models import Client
from psynote.lib import smtp_url
from psynote.measures import actions, library
from psynote.measures.models import SelfReportLink

NOT_CONFIGURED = (
    "Email is not set up for this practice: set PSYNOTE_SMTP_URL (e.g. "
    "smtp+starttls://user:password@mail.example.org:587) and restart Psynote, as "
    "docs/operations.md describes. Until then, copy the link and send it yourself."
)
NO_ADDRESS = (
    "This client has no email address on file: add it on the client's details page, or "
    "make the link and send it yourself."
)


def message_for(client: Client, link: SelfReportLink, url: str) -> EmailMessage:
    practice = client.practice.name
    what = "a short questionnaire"
    if settings.EMAIL_NAMES_INSTRUMENT:
        what += f" (the {library.get(link.instrument).short_name})"
    expires = timezone.localtime(link.expires_at).strftime("%A %d %B %Y, %H:%M")
    body = (
        f"Hello,\n\n{practice} has sent you {what}. Please open this link to answer it:\n\n"
        f"{url}\n\nThe link works once and expires on {expires}. If you did not expect "
        "this message, you can ignore it or contact the practice.\n\nThis message was sent "
        "automatically; replies may not be read.\n"
    )
    return EmailMessage(subject=f"A short questionnaire from {practice}", body=body,
                        to=[client.email])


@transaction.atomic
def email_self_report_link(*, by: Any, client: Client, instrument_key: str, days: int,
                           url_for: Callable[[str], str]) -> SelfReportLink:
    """Make a link and email it to the client; `url_for(token)` is the link's full URL."""
    if not smtp_url.configured():
        raise ValidationError(NOT_CONFIGURED)
    if not client.email:
        raise ValidationError(NO_ADDRESS)
    link, token = actions.create_self_report_link(
        by=by, client=client, instrument_key=instrument_key, days=days
    )
    try:
        sent = message_for(client, link, url_for(token)).send()
    except (smtplib.SMTPException, OSError) as error:
        # Rolls back the link: a token nobody received must not stay usable.
        raise ValidationError(
            f"The mail server did not accept the message ({type(error).__name__}); no link "
            "was made. Try again later, or make the link and send it yourself."
        ) from None
    if not sent:
        raise ValidationError("The message was not sent; no link was made.")
    log.record_by(by, "self_report.link_email", target_type="self_report_link",
                  target_id=link.pk, client_id=client.pk,
                  detail={"instrument_named": settings.EMAIL_NAMES_INSTRUMENT})
    return link
