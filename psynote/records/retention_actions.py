"""The record's life: legal holds and destruction under the retention policy, for the
record keepers (the privacy officer and the practice admins). Each action is one
transaction with its audit event; refusals are ValidationErrors with a message for the
person at the screen."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from psynote.accounts.models import Role
from psynote.clients.models import SHREDDED_KEY, Client
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.records.actions import audit_event, refuse_if_destroyed, required_text
from psynote.records.models import Destruction, LegalHold
from psynote.records.retention import retention_status
from psynote.search.index import forget_client

# --- legal hold -----------------------------------------------------------------------

_RECORD_KEEPERS = (Role.PRIVACY, Role.ADMIN)


def _keeper(by: Any, client: Client) -> None:
    if by.role not in _RECORD_KEEPERS or by.practice_id != client.practice_id:
        raise ValidationError("only the privacy officer or a practice admin does this")


@transaction.atomic
def place_hold(*, by: Any, client: Client, reason: str) -> LegalHold:
    _keeper(by, client)
    refuse_if_destroyed(client)
    hold = LegalHold.objects.create(
        client=client, reason=required_text(reason, "the reason"), placed_by=by
    )
    audit_event(by, "legal_hold.place", "legal_hold", hold.pk, client)
    return hold


@transaction.atomic
def release_hold(*, by: Any, hold: LegalHold) -> LegalHold:
    hold = LegalHold.objects.select_for_update().select_related("client").get(pk=hold.pk)
    _keeper(by, hold.client)
    if hold.released_at is not None:
        raise ValidationError("this hold was released already")
    hold.released_by, hold.released_at = by, timezone.now()
    hold.save()
    audit_event(by, "legal_hold.release", "legal_hold", hold.pk, hold.client)
    return hold


# --- destruction ----------------------------------------------------------------------


def _destroyable(client: Client, today: date) -> Any:
    refuse_if_destroyed(client)
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
    audit_event(
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
    audit_event(by, "destruction.cancel", "destruction", destruction.pk, destruction.client)
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
    # The blind index of the notes goes with the key it was derived from (ADR 0016).
    forget_client(client)
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
    audit_event(
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
