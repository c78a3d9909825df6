"""Emergency access ("break the glass"): opening a grant, ending it, the privacy officer's
review, and the marker on every audit event written under a grant.

What a grant opens is decided in `clients.access`; the rules and their reasons are in
docs/adr/0008-emergency-access.md. Audit events name the grant, the client and the kind of
action; the reason and the review comment are clinical text and never enter an event.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.audit.models import AuditEvent
from psynote.clients.access import (
    granted_clients,
    may_break_glass,
    reads_without_emergency,
    reviews_emergency_access,
)
from psynote.clients.models import Client, EmergencyAccess
from psynote.lib.request_memo import forget

REASON_MAX = 500
COMMENT_MAX = 2000
# How audit events spell their time (UTC, microseconds).
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _bounded(text: Any, what: str, limit: int, *, required: bool) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if required and not text:
        raise ValidationError({what: f"Give the {what.replace('_', ' ')}."})
    if len(text) > limit:
        raise ValidationError(
            {what: f"Keep the {what.replace('_', ' ')} to {limit} characters ({len(text)} now)."})
    return text


@transaction.atomic
def break_glass(*, by: Any, client: Client, reason: str) -> EmergencyAccess:
    """Open `client`'s chart to `by`, read-only, for PSYNOTE_EMERGENCY_ACCESS_HOURS."""
    if not may_break_glass(by) or by.practice_id != client.practice_id:
        raise ValidationError("Only the practice's clinicians and supervisors may open a "
                              "chart in an emergency.")
    if client.is_destroyed:
        raise ValidationError("This record was destroyed under the retention schedule.")
    if reads_without_emergency(by, client):
        raise ValidationError("You already read this chart through the care team.")
    reason = _bounded(reason, "reason", REASON_MAX, required=True)
    # One grant at a time per user and client: lock the client row so that two quick
    # submissions cannot both open one.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    if EmergencyAccess.objects.active().filter(user=by, client=client).exists():
        raise ValidationError("You already have emergency access to this chart.")
    now = timezone.now()
    hours = settings.EMERGENCY_ACCESS_HOURS
    grant = EmergencyAccess(client=client, user=by, started_at=now,
                            ends_at=now + timedelta(hours=hours))
    grant.set_reason(reason)
    grant.save()
    forget()
    log.record_by(by, "emergency_access.grant", target_type="emergency_access",
                  target_id=grant.pk, client_id=client.pk, detail={"hours": hours})
    return grant


@transaction.atomic
def end_emergency_access(*, by: Any, grant: EmergencyAccess) -> EmergencyAccess:
    if grant.user_id != by.pk:
        raise ValidationError("Only the person who opened it ends an emergency access.")
    if not grant.is_active():
        raise ValidationError("This emergency access has already ended.")
    grant.ended_at = timezone.now()
    grant.save(update_fields=["ended_at"])
    forget()
    log.record_by(by, "emergency_access.end", target_type="emergency_access",
                  target_id=grant.pk, client_id=grant.client_id)
    return grant


@transaction.atomic
def review_emergency_access(*, by: Any, grant: EmergencyAccess, review: str,
                            comment: str = "") -> EmergencyAccess:
    """The privacy officer's finding on one use. A use found not appropriate that is still
    open ends now. A review is recorded once and not changed."""
    if not reviews_emergency_access(by) or by.practice_id != grant.client.practice_id:
        raise ValidationError("Only the practice's privacy officer reviews emergency access.")
    grant = EmergencyAccess.objects.select_for_update().select_related("client").get(
        pk=grant.pk)
    if grant.is_reviewed:
        raise ValidationError("This use of emergency access was already reviewed.")
    if review not in EmergencyAccess.Review.values:
        raise ValidationError({"review": "Choose appropriate or not appropriate."})
    comment = _bounded(comment, "comment", COMMENT_MAX,
                       required=review == EmergencyAccess.Review.NOT_APPROPRIATE)
    if comment and grant.client.is_destroyed:
        raise ValidationError({"comment": "This record was destroyed: record the review "
                                          "without a comment."})
    now = timezone.now()
    ended = review == EmergencyAccess.Review.NOT_APPROPRIATE and grant.is_active(now)
    if ended:
        grant.ended_at = now
    grant.reviewed_at, grant.reviewed_by, grant.review = now, by, review
    grant.set_review_comment(comment)
    grant.save(update_fields=["ended_at", "reviewed_at", "reviewed_by", "review",
                              "review_comment_ct"])
    forget()
    log.record_by(by, "emergency_access.review", target_type="emergency_access",
                  target_id=grant.pk, client_id=grant.client_id,
                  detail={"review": review, "ended": ended})
    return grant


# --- the audit marker ------------------------------------------------------------------


def audit_marker(actor: Any, client_id: str) -> dict[str, str]:
    """Detail added to every event `actor` writes about `client_id` while holding an active
    grant on it: the grant's id, so each read under it is known to be an emergency one."""
    grant = next((pk for client, pk in granted_clients(actor).items()
                  if str(client) == client_id or client.hex == client_id), None)
    return {"emergency_access": str(grant)} if grant else {}


# --- what the review shows -------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One event the grantee wrote about the client while the grant was open."""

    at: datetime
    action: str
    target_type: str
    target_id: str


def uses_of(grant: EmergencyAccess, limit: int = 500) -> list[Use]:
    """What the user opened (and tried) under the grant, oldest first: the audit events
    that carry its marker."""
    events = (
        AuditEvent.objects.filter(
            practice_id=grant.client.practice_id, actor_id=str(grant.user_id),
            client_id=str(grant.client_id), detail__contains=f'"{grant.pk}"')
        .exclude(action__startswith="emergency_access.")
        .order_by("seq")
        .values_list("at", "action", "target_type", "target_id")[:limit]
    )
    return [
        Use(datetime.strptime(at, _AT_FORMAT).replace(tzinfo=UTC), action, target_type,
            target_id)
        for at, action, target_type, target_id in events
    ]


def time_left(grant: EmergencyAccess, at: datetime | None = None) -> str:
    """"23 h 5 min" for the banner; "less than a minute" at the very end."""
    seconds = int((grant.ends_at - (at or timezone.now())).total_seconds())
    if seconds < 60:
        return "less than a minute"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
