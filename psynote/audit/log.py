"""Writing audit events. Call inside the transaction of the change being recorded."""

from collections.abc import Callable
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from psynote.audit import anchor, chain
from psynote.audit.context import current_ip
from psynote.audit.models import AuditEvent, ChainHead

# The installation's own chain: what operators do, who belong to no practice (ADR 0017).
INSTALLATION_CHAIN = 0
_CLIPPED = ("actor_name", "action", "target_type", "target_id", "client_id", "ip")


def _visible_nul(value: Any) -> Any:
    """NUL shown as \\x00: PostgreSQL cannot turn a JSON \\u0000 into text."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_visible_nul(k): _visible_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_visible_nul(v) for v in value]
    return value


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
    # No savepoint of its own: an event that fails to append fails the caller's whole
    # transaction, never just itself.
    with transaction.atomic(savepoint=False):
        head = _locked_head(practice_id)
        values: dict[str, Any] = {
            "practice_id": practice_id,
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
        for name in _CLIPPED:  # what the generated columns can hold
            text = _visible_nul(str(values[name]))
            values[name] = text[: AuditEvent._meta.get_field(name).output_field.max_length]
        values["detail"] = _visible_nul(detail or {})
        payload = chain.payload(values)
        previous = bytes(head.hash) if head.seq else chain.GENESIS
        key = chain.chain_key(practice_id, bytes(head.key_wrapped))
        digest = chain.link(previous, payload, key)
        event = AuditEvent.objects.create(
            practice_id=practice_id, seq=values["seq"], payload=payload.decode(), hash=digest
        )
        with connection.cursor() as cursor:
            cursor.execute(_HEAD_UPDATE, [values["seq"], digest, practice_id])
        anchor.after_commit(anchor.Head(practice_id, values["seq"], digest, head.keyed_from))
        return event


# Every request that reads or writes a record appends an event, so the chain head is read
# and moved with two plain statements: the ORM would build the same SQL each time.
_HEAD_TABLE = ChainHead._meta.db_table
_HEAD_SELECT = (f"SELECT seq, hash, keyed_from, key_wrapped FROM {_HEAD_TABLE} "  # noqa: S608
                "WHERE practice_id = %s")
_HEAD_UPDATE = f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s WHERE practice_id = %s"  # noqa: S608


def _locked_head(practice_id: int) -> ChainHead:
    """The practice's chain head, locked until the transaction ends (SQLite's writers take
    the database lock at BEGIN IMMEDIATE; PostgreSQL locks the row), made if missing."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SELECT + lock, [practice_id])
        row = cursor.fetchone()
    if row is None:
        head, _ = ChainHead.objects.select_for_update().get_or_create(practice_id=practice_id)
        return head
    seq, digest, keyed_from, key_wrapped = row
    return ChainHead(practice_id=practice_id, seq=seq, hash=bytes(digest or b""),
                     keyed_from=keyed_from, key_wrapped=bytes(key_wrapped or b""))


def client_ip(request: HttpRequest) -> str:
    if settings.HTTPS:  # behind the reverse proxy, the client is its first forwarded hop
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


# Functions (actor, client_id) -> extra detail, registered by the app that decides access,
# that mark how an actor came to a client's record (clients: an emergency-access grant).
# This module calls them without knowing what they mean.
_markers: list[Callable[[Any, str], dict[str, Any]]] = []


def add_marker(marker: Callable[[Any, str], dict[str, Any]]) -> None:
    if marker not in _markers:
        _markers.append(marker)


def record_by(user: Any, action: str, **fields: Any) -> AuditEvent:
    """Record an event by `user` (None for anonymous) in their practice's chain."""
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    practice_id = fields.pop("practice_id", None)
    if practice_id is None:
        practice_id = default_practice_id(actor)
    if actor is not None and fields.get("client_id"):
        for marker in _markers:
            if marks := marker(actor, str(fields["client_id"])):
                fields["detail"] = {**(fields.get("detail") or {}), **marks}
    return record(practice_id=practice_id, action=action, actor=actor, **fields)


def default_practice_id(user: Any = None) -> int:
    """The chain an event belongs to: the user's practice; for a signed-in user of no
    practice (the operator) the installation's chain; for nobody in particular (a failed
    login), the practice when there is only one, else the installation's chain, so that no
    practice reads another's (ADR 0017)."""
    if user is not None and getattr(user, "practice_id", None):
        return user.practice_id
    if user is not None and getattr(user, "pk", None):
        return INSTALLATION_CHAIN
    from psynote.accounts.models import Practice

    practices = list(Practice.objects.order_by("pk").values_list("pk", flat=True)[:2])
    return practices[0] if len(practices) == 1 else INSTALLATION_CHAIN
