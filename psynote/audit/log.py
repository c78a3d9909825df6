"""Writing audit events. Call inside the transaction of the change being recorded."""

import re
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from psynote.audit import chain
from psynote.audit.context import current_ip
from psynote.audit.models import AuditEvent, ChainHead
from psynote.lib import canonical_json

# C0 controls and DEL. The chain joins columns with 0x1F, so a value holding 0x1F would
# let someone with database access shift a field boundary (action="a\x1fb", target_type=""
# hashes like action="a", target_type="b"); PostgreSQL text cannot hold NUL at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _field(value: object, name: str) -> str:
    """A column value as stored and hashed: controls shown as \\xNN, clipped to its column."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return text[: AuditEvent._meta.get_field(name).max_length]


def _now_text() -> str:
    return timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    *,
    practice_id: int,
    action: str,
    actor: Any = None,
    target_type: str = "",
    target_id: object = "",
    client_id: object = "",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the practice's chain, in the caller's transaction."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(practice_id=practice_id)
        values: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": _now_text(),
            "actor_id": str(actor.pk) if actor is not None and actor.pk else "",
            "actor_name": actor.signature_name if actor is not None and actor.pk else "",
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id or ""),
            "client_id": str(client_id or ""),
            "ip": current_ip.get() if ip is None else ip,
        }
        values = {name: value if name == "seq" else _field(value, name)
                  for name, value in values.items()}
        # JSON escapes every control character itself, so the detail needs no more.
        values["detail"] = canonical_json.dumps(detail or {}).decode()
        previous = bytes(head.hash) if head.seq else chain.GENESIS
        digest = chain.link(previous, chain.payload(values))
        event = AuditEvent.objects.create(practice_id=practice_id, hash=digest, **values)
        ChainHead.objects.filter(practice_id=practice_id).update(seq=values["seq"], hash=digest)
        return event


def client_ip(request: HttpRequest) -> str:
    if settings.HTTPS:  # behind the reverse proxy, the client is its first forwarded hop
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def record_by(user: Any, action: str, **fields: Any) -> AuditEvent:
    """Record an event by `user` (None for anonymous) in their practice's chain."""
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    practice_id = fields.pop("practice_id", None) or default_practice_id(actor)
    return record(practice_id=practice_id, action=action, actor=actor, **fields)


def default_practice_id(user: Any = None) -> int:
    """The chain an event belongs to: the user's practice, else the install's first one."""
    if user is not None and getattr(user, "practice_id", None):
        return user.practice_id
    from psynote.accounts.models import Practice

    first = Practice.objects.order_by("pk").values_list("pk", flat=True).first()
    return first or 0
