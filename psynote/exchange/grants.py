"""The decision of what may be disclosed: `authorise` turns a request into a Grant, or
refuses it with a message for the clinician (and logs the refusal).

A disclosure is covered by the client's own authorization (unexpired, unrevoked, naming
this scope and date range) or by an exception from the fixed list in `bases`, with the
clinician's justification. Psychotherapy notes go only under an authorization that names
them alone (45 CFR 164.508(a)(2)), or an exception that rule allows for them; they are
always disclosed on their own.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.exchange.bases import EXCEPTIONS, KINDS, PSYCHOTHERAPY, kind_labels
from psynote.exchange.models import Authorization

DateRange = tuple[date | None, date | None]
_ISSUED = object()  # only authorise() makes Grants


class Refused(Exception):
    """A disclosure is not covered; the message says why, in plain words."""


@dataclass(frozen=True)
class UnderException:
    """Disclosure without an authorization: an exception code and why it applies."""

    code: str
    justification: str
    recipient_name: str
    recipient_organisation: str = ""
    recipient_contact: str = ""


Basis = Authorization | UnderException


@dataclass(frozen=True)
class Grant:
    by: Any
    client: Client
    scope: frozenset[str]
    date_range: DateRange
    purpose: str
    authorization: Authorization | None
    exception: str
    justification: str
    recipient_name: str
    recipient_organisation: str
    recipient_contact: str
    _token: object = field(default=None, repr=False, compare=False)


def is_issued(grant: Grant) -> bool:
    """Whether `authorise` made this Grant (a Grant built any other way is forged)."""
    return grant._token is _ISSUED


def refuse(by: Any, client: Client, reason: str) -> Refused:
    log.record_by(
        by,
        "disclosure.refused",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"reason": reason},
    )
    return Refused(reason)


def check_authorization(
    authorization: Authorization, client: Client, scope: frozenset[str], date_range: DateRange
) -> str | None:
    """Why `authorization` does not cover this disclosure, or None when it does."""
    if authorization.client_id != client.pk:
        return "That authorization is not this client's."
    if authorization.is_revoked:
        return (
            f"That authorization was revoked on "
            f"{timezone.localtime(authorization.revoked_at):%Y-%m-%d}."
        )
    if authorization.is_expired():
        return f"That authorization expired on {authorization.expires_on:%Y-%m-%d}."
    missing = scope - authorization.scope
    if missing:
        return (
            f"That authorization does not cover {kind_labels(missing)}; it covers "
            f"{authorization.scope_display} only."
        )
    start, end = date_range
    if authorization.date_from and (start is None or start < authorization.date_from):
        return (
            f"That authorization covers records from {authorization.date_from:%Y-%m-%d} "
            "on; choose a start date on or after it."
        )
    if authorization.date_to and (end is None or end > authorization.date_to):
        return (
            f"That authorization covers records up to {authorization.date_to:%Y-%m-%d}; "
            "choose an end date on or before it."
        )
    if PSYCHOTHERAPY in scope and authorization.scope != {PSYCHOTHERAPY}:
        # The database refuses such an authorization too; this is the second lock.
        return "Psychotherapy notes need an authorization that names them alone."
    return None


def authorise(
    by: Any, client: Client, scope: object, date_range: DateRange, purpose: str, basis: Basis
) -> Grant:
    """A Grant for this disclosure, or Refused with a message for the clinician."""
    scope = frozenset(scope)  # type: ignore[arg-type]
    if not getattr(by, "is_authenticated", False) or not can(by, client, Need.WRITE_CLINICAL):
        raise refuse(
            by, client, "Only clinicians on the client's care team may disclose their record."
        )
    unknown = scope - set(KINDS)
    if unknown:
        raise refuse(by, client, f"Unknown record kinds: {', '.join(sorted(unknown))}.")
    if not scope:
        raise refuse(by, client, "Choose what to disclose: at least one part of the record.")
    if PSYCHOTHERAPY in scope and scope != {PSYCHOTHERAPY}:
        raise refuse(
            by,
            client,
            "Psychotherapy notes are disclosed on their own: disclose "
            "them separately from the rest of the record.",
        )
    start, end = date_range
    if start and end and start > end:
        raise refuse(by, client, "The date range ends before it starts.")
    purpose = (purpose or "").strip()
    if not purpose:
        raise refuse(by, client, "Say what the disclosure is for (its purpose).")

    if isinstance(basis, Authorization):
        reason = check_authorization(basis, client, scope, date_range)
        if reason:
            raise refuse(by, client, reason)
        recipient = (basis.recipient_name, basis.recipient_organisation, basis.recipient_contact)
        authorization, code, justification = basis, "", ""
    elif isinstance(basis, UnderException):
        exception = EXCEPTIONS.get(basis.code)
        if exception is None:
            raise refuse(by, client, "Choose an authorization, or one of the listed exceptions.")
        justification = (basis.justification or "").strip()
        if not justification:
            raise refuse(
                by,
                client,
                f"Disclosing under “{exception.label}” needs your "
                "justification: say why the exception applies.",
            )
        if PSYCHOTHERAPY in scope and not exception.psychotherapy_notes:
            raise refuse(
                by,
                client,
                f"Psychotherapy notes cannot be disclosed under "
                f"“{exception.label}”: they need the client's "
                "authorization naming psychotherapy notes alone.",
            )
        if not (basis.recipient_name or "").strip():
            raise refuse(by, client, "Name the recipient of the disclosure.")
        recipient = (
            basis.recipient_name.strip(),
            basis.recipient_organisation.strip(),
            basis.recipient_contact.strip(),
        )
        authorization, code = None, exception.code
    else:
        raise refuse(
            by, client, "A disclosure needs a basis: the client's authorization or an exception."
        )
    return Grant(
        by=by,
        client=client,
        scope=scope,
        date_range=(start, end),
        purpose=purpose,
        authorization=authorization,
        exception=code,
        justification=justification,
        recipient_name=recipient[0],
        recipient_organisation=recipient[1],
        recipient_contact=recipient[2],
        _token=_ISSUED,
    )

