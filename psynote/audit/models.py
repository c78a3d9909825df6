from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast


class _PayloadJSON(models.JSONField):
    """The payload read as JSON. PostgreSQL's `json` (not `jsonb`) keeps each value's text
    as written, so a generated column shows the same canonical text on both engines."""

    def db_type(self, connection):  # type: ignore[no-untyped-def]
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)


def _from_payload(key: str, max_length: int = 200) -> models.GeneratedField:
    """A column the database derives from the payload: it cannot be edited on its own."""
    return models.GeneratedField(
        expression=KeyTextTransform(key, Cast("payload", output_field=_PayloadJSON())),
        output_field=models.CharField(max_length=max_length),
        db_persist=True,
    )


class AuditEvent(models.Model):
    """One link of a practice's hash chain. Append-only: triggers refuse UPDATE/DELETE.

    `payload` holds the event as canonical JSON, exactly the bytes that were hashed; every
    other column is generated from it by the database (so none can be edited apart from it)
    and exists only to be filtered and shown. No foreign keys: the log must never block, or
    lose rows when, live data changes.
    """

    practice_id = models.BigIntegerField()
    seq = models.BigIntegerField()
    payload = models.TextField()
    hash = models.BinaryField()
    at = _from_payload("at", 32)  # ISO 8601 UTC, microseconds
    actor_id = _from_payload("actor_id", 32)
    actor_name = _from_payload("actor_name")
    action = _from_payload("action", 64)
    target_type = _from_payload("target_type", 64)
    target_id = _from_payload("target_id", 64)
    client_id = _from_payload("client_id", 64)
    ip = _from_payload("ip", 64)
    detail = _from_payload("detail", 100_000)  # JSON text

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice_id", "seq"], name="audit_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["practice_id", "client_id", "seq"]),
            models.Index(fields=["action", "target_id", "at"]),
            models.Index(fields=["action", "ip", "at"]),
            models.Index(fields=["practice_id", "actor_id", "seq"]),
        ]


class ChainHead(models.Model):
    """The latest link of each practice's chain; locked while a new event is appended.

    `keyed_from`: the first event linked with the keyed hash. 1 for every chain begun since
    links are keyed; for an older chain, the `audit.chain.keyed` event that migration
    0003 appended after its unkeyed events (ADR 0003).
    """

    practice_id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.BinaryField(default=b"")
    keyed_from = models.BigIntegerField(default=1)
    # Empty: the chain key is derived from the master key. A practice moved from another
    # installation keeps the chain key it had there, wrapped by this installation's master
    # key, so that its old links still verify (ADR 0010).
    key_wrapped = models.BinaryField(default=b"", blank=True)
