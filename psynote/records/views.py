"""Pages: a client's rights requests (access, amendment), the open requests with their
deadlines, and the record keepers' retention page (legal holds, two-person destruction)."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from psynote.audit import log
from psynote.clients.access import Need, can, deny
from psynote.clients.models import Client
from psynote.notes.models import ProgressNote
from psynote.records import actions, retention_actions
from psynote.records.access import (
    get_access_request_for,
    get_amendment_for,
    get_client_for_keeper,
    get_client_for_rights,
    get_client_to_record_request,
    get_destruction_for,
    get_hold_for,
    keeper_clients_for,
    require_keeper,
    rights_clients_for,
    sees_request_texts,
)
from psynote.records.models import AccessRequest, AmendmentRequest, Destruction, LegalHold
from psynote.records.retention import retention_due
from psynote.supervision.record import in_record


def destroyed_record(request: HttpRequest, client: Client) -> HttpResponse:
    """What the chart shows once the record is destroyed: the tombstone, nothing else."""
    tombstone = Destruction.objects.filter(client=client, status=Destruction.Status.DONE).first()
    log.record_by(
        request.user,
        "client.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"scope": "tombstone"},
    )
    return render(request, "records/destroyed.html", {"client": client, "tombstone": tombstone})


def _day(value: str | None, what: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError(f"{what}: give a date (YYYY-MM-DD)") from None


# --- a client's rights requests -------------------------------------------------------


def _rights_page(
    request: HttpRequest, client: Client, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    clinical = can(user, client, Need.CLINICAL)
    amendments = list(client.amendment_requests.select_related("note", "addendum"))
    texts = sees_request_texts(user, client, clinical=clinical)
    if texts:
        for amendment in amendments:
            amendment.texts = {
                field: amendment.text(field)
                for field in ("request", "denial", "disagreement", "rebuttal")
            }
    log.record_by(
        user,
        "rights.view",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"clinical": clinical, "texts": texts},
    )
    return render(
        request,
        "records/rights.html",
        {
            "client": client,
            "access_requests": client.access_requests.select_related("disclosure"),
            "amendments": amendments,
            "clinical": clinical,
            "writes": can(user, client, Need.WRITE_CLINICAL),
            "signed_notes": (
                in_record(ProgressNote.objects.signed())
                .filter(client=client)
                .select_related("session")
                .order_by("-signed_at")
                if clinical
                else []
            ),
            "denial_reasons": AmendmentRequest.DenialReason.choices,
            "today": timezone.localdate(),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
@require_GET
def client_rights(request: HttpRequest, client_id: object) -> HttpResponse:
    return _rights_page(request, get_client_for_rights(request.user, client_id))


@login_required
@require_POST
def access_request_new(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_to_record_request(request.user, client_id)
    try:
        actions.record_access_request(
            by=request.user,
            client=client,
            requested_on=_day(request.POST.get("requested_on"), "Request date"),
        )
    except ValidationError as error:
        return _rights_page(request, client, error.messages, status=400)
    messages.success(request, "Access request recorded.")
    return redirect("client_rights", client_id=client.pk)


@login_required
@require_POST
def access_request_produce(request: HttpRequest, access_request_id: object) -> HttpResponse:
    access_request = get_access_request_for(request.user, access_request_id, write=True)
    try:
        package = actions.produce_access(
            by=request.user, request=access_request, fmt=request.POST.get("format") or "pdf"
        )
    except ValidationError as error:
        return _rights_page(request, access_request.client, error.messages, status=400)
    response = HttpResponse(package.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.name}"'
    response["X-Package-SHA256"] = package.sha256
    return response


@login_required
@require_POST
def amendment_new(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_to_record_request(request.user, client_id)
    try:
        actions.record_amendment_request(
            by=request.user,
            client=client,
            requested_on=_day(request.POST.get("requested_on"), "Request date"),
            request=request.POST.get("request", ""),
        )
    except ValidationError as error:
        return _rights_page(request, client, error.messages, status=400)
    messages.success(request, "Amendment request recorded.")
    return redirect("client_rights", client_id=client.pk)


def _amendment_step(request: HttpRequest, amendment: AmendmentRequest) -> Any:
    user, post = request.user, request.POST
    step = post.get("step", "")
    if step == "extend":
        return actions.extend_amendment(
            by=user, amendment=amendment, notice_on=_day(post.get("notice_on"), "Notice date")
        )
    if step == "accept":
        note_id = post.get("note_id") or ""
        note = (
            in_record(ProgressNote.objects.signed())
            .filter(client=amendment.client, pk__in=[note_id] if _is_uuid(note_id) else [])
            .first()
        )
        if note is None:
            raise ValidationError("choose the signed progress note the amendment goes under")
        return actions.accept_amendment(
            by=user, amendment=amendment, note=note, body=post.get("body", "")
        )
    if step == "deny":
        return actions.deny_amendment(
            by=user,
            amendment=amendment,
            reason=post.get("reason", ""),
            explanation=post.get("body", ""),
        )
    if step == "disagreement":
        return actions.add_disagreement(
            by=user, amendment=amendment, statement=post.get("body", "")
        )
    if step == "rebuttal":
        return actions.add_rebuttal(by=user, amendment=amendment, rebuttal=post.get("body", ""))
    raise ValidationError("choose what to do: extend, accept, deny, disagreement or rebuttal")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_POST
def amendment_act(request: HttpRequest, amendment_id: object) -> HttpResponse:
    amendment = get_amendment_for(request.user, amendment_id, write=True)
    try:
        _amendment_step(request, amendment)
    except ValidationError as error:
        return _rights_page(request, amendment.client, error.messages, status=400)
    messages.success(request, "Amendment request updated.")
    return redirect("client_rights", client_id=amendment.client_id)


@login_required
@require_GET
def rights_overview(request: HttpRequest) -> HttpResponse:
    """Open requests and their deadlines, overdue first: the privacy officer's whole
    practice, a clinician's own clients."""
    user = request.user
    if not (user.is_clinical or user.role == "privacy"):
        raise deny(user, "rights_overview", user.practice_id or "", "rights")
    clients = rights_clients_for(user)
    today = timezone.localdate()
    access = list(
        AccessRequest.objects.filter(client__in=clients, status="open").select_related("client")
    )
    amendments = list(
        AmendmentRequest.objects.filter(client__in=clients, status="open").select_related("client")
    )
    log.record_by(
        user,
        "rights.overview",
        target_type="user",
        target_id=user.pk,
        detail={"access": len(access), "amendments": len(amendments)},
    )
    return render(
        request,
        "records/overview.html",
        {
            "access": sorted(access, key=lambda r: r.due_on),
            "amendments": sorted(amendments, key=lambda r: r.deadline),
            "today": today,
        },
    )


# --- retention, legal holds, destruction ----------------------------------------------


def _retention_page(
    request: HttpRequest, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    require_keeper(user)
    today = timezone.localdate()
    clients = keeper_clients_for(user)
    due = retention_due(user.practice, today)
    log.record_by(
        user,
        "retention.view",
        target_type="practice",
        target_id=user.practice_id,
        detail={"due": len(due)},
    )
    return render(
        request,
        "records/retention.html",
        {
            "due": due,
            "today": today,
            "pending": Destruction.objects.filter(
                client__in=clients, status="pending"
            ).select_related("client", "requested_by"),
            "tombstones": Destruction.objects.filter(
                client__in=clients, status="done"
            ).select_related("client", "requested_by", "confirmed_by"),
            "holds": LegalHold.objects.filter(
                client__in=clients, released_at__isnull=True
            ).select_related("client", "placed_by"),
            "clients": clients.exclude(destructions__status="done").order_by("last_name"),
            "errors": errors or [],
        },
        status=status,
    )


@login_required
@require_GET
def retention(request: HttpRequest) -> HttpResponse:
    return _retention_page(request)


@login_required
@require_POST
def legal_hold_place(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_keeper(request.user, client_id)
    try:
        retention_actions.place_hold(
            by=request.user, client=client, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        return _retention_page(request, error.messages, status=400)
    messages.success(request, f"Legal hold placed on {client.display_name}'s record.")
    return redirect("retention")


@login_required
@require_POST
def legal_hold_release(request: HttpRequest, hold_id: object) -> HttpResponse:
    hold = get_hold_for(request.user, hold_id)
    try:
        if request.POST.get("confirm") != "release":
            raise ValidationError("tick the box to confirm the hold is released")
        retention_actions.release_hold(by=request.user, hold=hold)
    except ValidationError as error:
        return _retention_page(request, error.messages, status=400)
    messages.success(request, "Legal hold released.")
    return redirect("retention")


@login_required
@require_POST
def destruction_request(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_keeper(request.user, client_id)
    try:
        retention_actions.request_destruction(by=request.user, client=client)
    except ValidationError as error:
        return _retention_page(request, error.messages, status=400)
    messages.success(request, "Destruction requested: a second person must confirm it.")
    return redirect("retention")


@login_required
@require_POST
def destruction_decide(request: HttpRequest, destruction_id: object) -> HttpResponse:
    destruction = get_destruction_for(request.user, destruction_id)
    decision = request.POST.get("decision", "")
    try:
        if decision == "cancel":
            retention_actions.cancel_destruction(by=request.user, destruction=destruction)
        elif decision == "confirm" and request.POST.get("confirm") == "destroy":
            retention_actions.confirm_destruction(by=request.user, destruction=destruction)
        else:
            raise ValidationError(
                'to destroy the record, type "destroy" and confirm; or cancel the request'
            )
    except ValidationError as error:
        return _retention_page(request, error.messages, status=400)
    messages.success(request, "Done.")
    return redirect("retention")
