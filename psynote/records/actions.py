"""Client rights and the record's life. Each action is one transaction with its audit
event; refusals are ValidationErrors with a message for the person at the screen."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from psynote.accounts.models import Role
from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import SHREDDED_KEY, Client
from psynote.exchange import gate
from psynote.exchange import package as packages
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.models import Disclosure
from psynote.notes import actions as note_actions
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.records.models import (
    ACCESS_DAYS,
    AMENDMENT_DAYS,
    AMENDMENT_EXTENSION_DAYS,
    AccessRequest,
    AmendmentRequest,
    Destruction,
    LegalHold,
)
from psynote.records.retention import retention_status

MAX_TEXT = 20_000
# The designated record set: everything but psychotherapy notes (DOMAIN.md §1.3).
RECORD_SET = frozenset(KINDS) - {PSYCHOTHERAPY}


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{what} is empty")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{what} is longer than {MAX_TEXT} characters")
    return value


def _not_destroyed(client: Client) -> None:
    if client.is_destroyed:
        raise ValidationError("this client's record was destroyed under the retention policy")


def _event(
    by: Any, action: str, target_type: str, target_id: object, client: Client, **detail: Any
) -> None:
    log.record_by(
        by, action, target_type=target_type, target_id=target_id, client_id=client.pk, detail=detail
    )


# --- right of access ------------------------------------------------------------------


@transaction.atomic
def record_access_request(*, by: Any, client: Client, requested_on: date) -> AccessRequest:
    _not_destroyed(client)
    if requested_on > timezone.localdate():
        raise ValidationError("the request date is in the future")
    request = AccessRequest.objects.create(
        client=client,
        requested_on=requested_on,
        due_on=requested_on + timedelta(days=ACCESS_DAYS),
        recorded_by=by,
    )
    _event(
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
    _not_destroyed(client)
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
            _event(
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
    _not_destroyed(client)
    text = _text(request, "what the client asks to amend, and why,")
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
    _event(
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
    _not_destroyed(locked.client)
    if locked.status != AmendmentRequest.Status.OPEN:
        raise ValidationError("this request has been decided already")
    return locked


def _clinician(by: Any, client: Client) -> None:
    if not can(by, client, Need.WRITE_CLINICAL):
        raise ValidationError("only a clinician on the client's care team decides an amendment")


@transaction.atomic
def extend_amendment(*, by: Any, amendment: AmendmentRequest, notice_on: date) -> AmendmentRequest:
    """The one extension (≤30 days), with written notice inside the first 60 (§1.4)."""
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
    _event(
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
    `note`): signed content is never edited (§1.4: append and link)."""
    amendment = _open_amendment(amendment)
    _clinician(by, amendment.client)
    if note is not None:
        if note.client_id != amendment.client_id:
            raise ValidationError("that note is another client's")
        amendment.note = note
    if amendment.note is None:
        raise ValidationError("name the progress note the amendment goes under")
    text = _text(body, "the amendment")
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
    _event(
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
    amendment.set_text("denial", _text(explanation, "the written denial"))
    amendment.status = AmendmentRequest.Status.DENIED
    amendment.decided_by, amendment.decided_at = by, timezone.now()
    amendment.save()
    _event(
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
    _not_destroyed(amendment.client)
    if amendment.status != AmendmentRequest.Status.DENIED:
        raise ValidationError("a statement of disagreement answers a denial")
    if amendment.disagreement_at is not None:
        raise ValidationError("the statement of disagreement is recorded already")
    amendment.set_text("disagreement", _text(statement, "the statement of disagreement"))
    amendment.disagreement_at = timezone.now()
    amendment.save()
    _event(
        by, "amendment_request.disagreement", "amendment_request", amendment.pk, amendment.client
    )
    return amendment


@transaction.atomic
def add_rebuttal(*, by: Any, amendment: AmendmentRequest, rebuttal: str) -> AmendmentRequest:
    amendment = (
        AmendmentRequest.objects.select_for_update().select_related("client").get(pk=amendment.pk)
    )
    _not_destroyed(amendment.client)
    _clinician(by, amendment.client)
    if amendment.disagreement_at is None:
        raise ValidationError("a rebuttal answers the client's statement of disagreement")
    if amendment.rebuttal_at is not None:
        raise ValidationError("the rebuttal is recorded already")
    amendment.set_text("rebuttal", _text(rebuttal, "the rebuttal"))
    amendment.rebuttal_at = timezone.now()
    amendment.save()
    _event(by, "amendment_request.rebuttal", "amendment_request", amendment.pk, amendment.client)
    return amendment


# --- legal hold -----------------------------------------------------------------------

_RECORD_KEEPERS = (Role.PRIVACY, Role.ADMIN)


def _keeper(by: Any, client: Client) -> None:
    if by.role not in _RECORD_KEEPERS or by.practice_id != client.practice_id:
        raise ValidationError("only the privacy officer or a practice admin does this")


@transaction.atomic
def place_hold(*, by: Any, client: Client, reason: str) -> LegalHold:
    _keeper(by, client)
    _not_destroyed(client)
    hold = LegalHold.objects.create(client=client, reason=_text(reason, "the reason"), placed_by=by)
    _event(by, "legal_hold.place", "legal_hold", hold.pk, client)
    return hold


@transaction.atomic
def release_hold(*, by: Any, hold: LegalHold) -> LegalHold:
    hold = LegalHold.objects.select_for_update().select_related("client").get(pk=hold.pk)
    _keeper(by, hold.client)
    if hold.released_at is not None:
        raise ValidationError("this hold was released already")
    hold.released_by, hold.released_at = by, timezone.now()
    hold.save()
    _event(by, "legal_hold.release", "legal_hold", hold.pk, hold.client)
    return hold


# --- destruction ----------------------------------------------------------------------


def _destroyable(client: Client, today: date) -> Any:
    _not_destroyed(client)
    status = retention_status(client)
    if status.on_hold:
        raise ValidationError(
            "a legal hold is on this client's record: nothing is destroyed "
            "until the hold is released"
        )
    if status.destroy_after > today:
        raise ValidationError(
            f"the retention period runs until "
            f"{status.destroy_after:%Y-%m-%d}; the record is not due yet"
        )
    return status


@transaction.atomic
def request_destruction(*, by: Any, client: Client) -> Destruction:
    _keeper(by, client)
    client = Client.objects.select_for_update().get(pk=client.pk)
    status = _destroyable(client, timezone.localdate())
    if Destruction.objects.filter(client=client, status=Destruction.Status.PENDING).exists():
        raise ValidationError("a destruction of this record is waiting for confirmation already")
    destruction = Destruction.objects.create(
        client=client,
        last_service_on=status.last_service,
        due_on=status.destroy_after,
        requested_by=by,
    )
    _event(
        by,
        "destruction.request",
        "destruction",
        destruction.pk,
        client,
        last_service=str(status.last_service),
        due_on=str(status.destroy_after),
    )
    return destruction


@transaction.atomic
def cancel_destruction(*, by: Any, destruction: Destruction) -> Destruction:
    destruction = Destruction.objects.select_for_update().get(pk=destruction.pk)
    _keeper(by, destruction.client)
    if destruction.status != Destruction.Status.PENDING:
        raise ValidationError("only a pending destruction can be cancelled")
    destruction.status = Destruction.Status.CANCELLED
    destruction.save()
    _event(by, "destruction.cancel", "destruction", destruction.pk, destruction.client)
    return destruction


@transaction.atomic
def confirm_destruction(*, by: Any, destruction: Destruction) -> Destruction:
    """The second person confirms; the client's data key is shredded, so every ciphertext
    under it can never be opened again. Signed notes stay as unreadable ciphertext (their
    triggers forbid deletion); drafts and psychotherapy notes are deleted."""
    destruction = (
        Destruction.objects.select_for_update()
        .select_related("requested_by")
        .get(pk=destruction.pk)
    )
    client = Client.objects.select_for_update().get(pk=destruction.client_id)
    _keeper(by, client)
    if destruction.status != Destruction.Status.PENDING:
        raise ValidationError("this destruction is not waiting for confirmation")
    if by.pk == destruction.requested_by_id:
        raise ValidationError("a second person must confirm: you requested this destruction")
    if {by.role, destruction.requested_by.role} != set(_RECORD_KEEPERS):
        raise ValidationError("destruction needs both a privacy officer and a practice admin")
    _destroyable(client, timezone.localdate())
    drafts = ProgressNote.objects.drafts().filter(client=client)
    draft_count = 0
    for draft in drafts:
        try:
            with transaction.atomic():
                draft.delete()
            draft_count += 1
        except ProtectedError:
            pass  # still linked from elsewhere: left as ciphertext that nothing opens
    psychotherapy = PsychotherapyNote.objects.filter(client=client)
    psychotherapy_count = psychotherapy.count()
    # Under the author's own key, not the client's: blank them as well as deleting.
    psychotherapy.update(body_ct=b"")
    psychotherapy.delete()
    counts = {
        "signed_progress_notes": ProgressNote.objects.signed().filter(client=client).count(),
        "addenda": Addendum.objects.filter(note__client=client).count(),
        "drafts_deleted": draft_count,
        "psychotherapy_notes_deleted": psychotherapy_count,
        "sessions": client.sessions.count(),
    }
    # update(), not save(): Client.save() would make a fresh key for an empty one.
    Client.objects.filter(pk=client.pk).update(
        wrapped_key=SHREDDED_KEY,
        phone="",
        email="",
        address="",
        emergency_contact="",
        status=Client.Status.DISCHARGED,
    )
    destruction.status = Destruction.Status.DONE
    destruction.confirmed_by, destruction.confirmed_at = by, timezone.now()
    destruction.counts = counts
    destruction.save()
    _event(
        by,
        "destruction.confirm",
        "destruction",
        destruction.pk,
        client,
        requested_by=str(destruction.requested_by_id),
        counts=counts,
        last_service=str(destruction.last_service_on),
        due_on=str(destruction.due_on),
    )
    return destruction
