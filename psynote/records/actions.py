"""Client rights: requests for access (45 CFR 164.524) and for amendment (45 CFR 164.526).
Each action is one transaction with its audit event; refusals are ValidationErrors with a
message for the person at the screen. Legal holds and destruction: retention_actions."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.exchange import gate
from psynote.exchange import package as packages
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.models import Disclosure
from psynote.notes import actions as note_actions
from psynote.notes.models import Addendum, ProgressNote
from psynote.records.models import (
    ACCESS_DAYS,
    AMENDMENT_DAYS,
    AMENDMENT_EXTENSION_DAYS,
    AccessRequest,
    AmendmentRequest,
)

MAX_TEXT = 20_000
# The designated record set (45 CFR 164.501) as the right of access reaches it
# (164.524(a)(1)): everything but psychotherapy notes.
RECORD_SET = frozenset(KINDS) - {PSYCHOTHERAPY}


def required_text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{what} is empty")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{what} is longer than {MAX_TEXT} characters")
    return value


def refuse_if_destroyed(client: Client) -> None:
    if client.is_destroyed:
        raise ValidationError("this client's record was destroyed under the retention policy")


def audit_event(
    by: Any, action: str, target_type: str, target_id: object, client: Client, **detail: Any
) -> None:
    log.record_by(
        by, action, target_type=target_type, target_id=target_id, client_id=client.pk, detail=detail
    )


# --- right of access ------------------------------------------------------------------


@transaction.atomic
def record_access_request(*, by: Any, client: Client, requested_on: date) -> AccessRequest:
    refuse_if_destroyed(client)
    if requested_on > timezone.localdate():
        raise ValidationError("the request date is in the future")
    request = AccessRequest.objects.create(
        client=client,
        requested_on=requested_on,
        due_on=requested_on + timedelta(days=ACCESS_DAYS),
        recorded_by=by,
    )
    audit_event(
        by,
        "access_request.create",
        "access_request",
        request.pk,
        client,
        requested_on=str(requested_on),
        due_on=str(request.due_on),
    )
    return request


def produce_access(
    *, by: Any, request: AccessRequest, fmt: str = Disclosure.Format.PDF
) -> packages.Package:
    """The designated record set, to the client, through the disclosure gate."""
    client = request.client
    if request.status != AccessRequest.Status.OPEN:
        raise ValidationError("this request is not open")
    refuse_if_destroyed(client)
    basis = gate.UnderException(
        code="to_individual",
        justification=f"Right of access request of {request.requested_on}",
        recipient_name=f"{client.first_name} {client.last_name}",
        recipient_contact=client.email or client.address,
    )
    try:
        with transaction.atomic():
            grant = gate.authorise(
                by,
                client,
                RECORD_SET,
                (None, None),
                "Right of access (the client's own request)",
                basis,
            )
            package = gate.export_client(by, client, grant, fmt)
            disclosure = Disclosure.objects.get(package_sha256=package.sha256, client=client)
            locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status != AccessRequest.Status.OPEN:
                raise ValidationError("this request is not open")
            locked.status = AccessRequest.Status.PRODUCED
            locked.disclosure = disclosure
            locked.produced_by, locked.produced_at = by, timezone.now()
            locked.save()
            audit_event(
                by,
                "access_request.produce",
                "access_request",
                request.pk,
                client,
                disclosure=str(disclosure.pk),
                package_sha256=package.sha256,
            )
    except gate.Refused as refused:
        raise ValidationError(str(refused)) from None
    return package


# --- amendment ------------------------------------------------------------------------


@transaction.atomic
def record_amendment_request(
    *, by: Any, client: Client, requested_on: date, request: str, note: ProgressNote | None = None
) -> AmendmentRequest:
    refuse_if_destroyed(client)
    text = required_text(request, "what the client asks to amend, and why,")
    if requested_on > timezone.localdate():
        raise ValidationError("the request date is in the future")
    if note is not None and note.client_id != client.pk:
        raise ValidationError("that note is another client's")
    amendment = AmendmentRequest(
        client=client,
        note=note,
        requested_on=requested_on,
        due_on=requested_on + timedelta(days=AMENDMENT_DAYS),
        recorded_by=by,
    )
    amendment.set_text("request", text)
    amendment.save()
    audit_event(
        by,
        "amendment_request.create",
        "amendment_request",
        amendment.pk,
        client,
        note=str(note.pk) if note else "",
        due_on=str(amendment.due_on),
    )
    return amendment


def _open_amendment(amendment: AmendmentRequest) -> AmendmentRequest:
    locked = (
        AmendmentRequest.objects.select_for_update().select_related("client").get(pk=amendment.pk)
    )
    refuse_if_destroyed(locked.client)
    if locked.status != AmendmentRequest.Status.OPEN:
        raise ValidationError("this request has been decided already")
    return locked


def _clinician(by: Any, client: Client) -> None:
    if not can(by, client, Need.WRITE_CLINICAL):
        raise ValidationError("only a clinician on the client's care team decides an amendment")


@transaction.atomic
def extend_amendment(*, by: Any, amendment: AmendmentRequest, notice_on: date) -> AmendmentRequest:
    """The one extension (≤30 days), with written notice inside the first 60 (45 CFR
    164.526(b)(2))."""
    amendment = _open_amendment(amendment)
    if amendment.extended_to is not None:
        raise ValidationError(
            "the deadline was extended once already; only one extension is allowed"
        )
    if notice_on < amendment.requested_on or notice_on > amendment.due_on:
        raise ValidationError(
            f"the written notice of the extension must be given within the "
            f"first {AMENDMENT_DAYS} days, by {amendment.due_on:%Y-%m-%d}"
        )
    if notice_on > timezone.localdate():
        raise ValidationError("the notice date is in the future")
    amendment.extension_notice_on = notice_on
    amendment.extended_to = amendment.due_on + timedelta(days=AMENDMENT_EXTENSION_DAYS)
    amendment.save()
    audit_event(
        by,
        "amendment_request.extend",
        "amendment_request",
        amendment.pk,
        amendment.client,
        notice_on=str(notice_on),
        extended_to=str(amendment.extended_to),
    )
    return amendment


@transaction.atomic
def accept_amendment(
    *, by: Any, amendment: AmendmentRequest, body: str, note: ProgressNote | None = None
) -> AmendmentRequest:
    """Append the amendment as a correction addendum under the note (the request's, or
    `note`): signed content is never edited; the amendment is appended and linked
    (45 CFR 164.526(c)(1))."""
    amendment = _open_amendment(amendment)
    _clinician(by, amendment.client)
    if note is not None:
        if note.client_id != amendment.client_id:
            raise ValidationError("that note is another client's")
        amendment.note = note
    if amendment.note is None:
        raise ValidationError("name the progress note the amendment goes under")
    text = required_text(body, "the amendment")
    addendum = note_actions.add_addendum(
        by=by,
        note=amendment.note,
        body=f"Amendment at the client's request of {amendment.requested_on:%Y-%m-%d}:\n{text}",
        kind=Addendum.Kind.CORRECTION,
    )
    amendment.status = AmendmentRequest.Status.ACCEPTED
    amendment.addendum = addendum
    amendment.decided_by, amendment.decided_at = by, timezone.now()
    amendment.save()
    audit_event(
        by,
        "amendment_request.accept",
        "amendment_request",
        amendment.pk,
        amendment.client,
        addendum=str(addendum.pk),
        note=str(amendment.note_id),
    )
    return amendment


@transaction.atomic
def deny_amendment(
    *, by: Any, amendment: AmendmentRequest, reason: str, explanation: str
) -> AmendmentRequest:
    amendment = _open_amendment(amendment)
    _clinician(by, amendment.client)
    if reason not in AmendmentRequest.DenialReason.values:
        raise ValidationError("choose a reason for the denial from the list (45 CFR 164.526)")
    amendment.denial_reason = reason
    amendment.set_text("denial", required_text(explanation, "the written denial"))
    amendment.status = AmendmentRequest.Status.DENIED
    amendment.decided_by, amendment.decided_at = by, timezone.now()
    amendment.save()
    audit_event(
        by,
        "amendment_request.deny",
        "amendment_request",
        amendment.pk,
        amendment.client,
        reason=reason,
    )
    return amendment


@transaction.atomic
def add_disagreement(*, by: Any, amendment: AmendmentRequest, statement: str) -> AmendmentRequest:
    """The client's statement of disagreement with a denial, linked to the request."""
    amendment = (
        AmendmentRequest.objects.select_for_update().select_related("client").get(pk=amendment.pk)
    )
    refuse_if_destroyed(amendment.client)
    if amendment.status != AmendmentRequest.Status.DENIED:
        raise ValidationError("a statement of disagreement answers a denial")
    if amendment.disagreement_at is not None:
        raise ValidationError("the statement of disagreement is recorded already")
    amendment.set_text("disagreement", required_text(statement, "the statement of disagreement"))
    amendment.disagreement_at = timezone.now()
    amendment.save()
    audit_event(
        by, "amendment_request.disagreement", "amendment_request", amendment.pk, amendment.client
    )
    return amendment


@transaction.atomic
def add_rebuttal(*, by: Any, amendment: AmendmentRequest, rebuttal: str) -> AmendmentRequest:
    amendment = (
        AmendmentRequest.objects.select_for_update().select_related("client").get(pk=amendment.pk)
    )
    refuse_if_destroyed(amendment.client)
    _clinician(by, amendment.client)
    if amendment.disagreement_at is None:
        raise ValidationError("a rebuttal answers the client's statement of disagreement")
    if amendment.rebuttal_at is not None:
        raise ValidationError("the rebuttal is recorded already")
    amendment.set_text("rebuttal", required_text(rebuttal, "the rebuttal"))
    amendment.rebuttal_at = timezone.now()
    amendment.save()
    audit_event(
        by, "amendment_request.rebuttal", "amendment_request", amendment.pk, amendment.client
    )
    return amendment
