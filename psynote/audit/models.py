from django.db import models


class AuditEvent(models.Model):
    """One link of a practice's hash chain. Append-only: triggers refuse UPDATE/DELETE.

    Every column but `hash` is text (or the sequence number) so that the exact bytes that
    were hashed can be rebuilt by the database itself during verification (see chain.py).
    No foreign keys: the log must never block, or lose rows when, live data changes.
    """

    practice_id = models.BigIntegerField()
    seq = models.BigIntegerField()
    at = models.CharField(max_length=32)  # ISO 8601 UTC, microseconds
    actor_id = models.CharField(max_length=32, default="")
    actor_name = models.CharField(max_length=200, default="")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, default="")
    target_id = models.CharField(max_length=64, default="")
    client_id = models.CharField(max_length=64, default="")
    ip = models.CharField(max_length=64, default="")
    detail = models.TextField(default="{}")  # canonical JSON
    hash = models.BinaryField()

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
    """The latest link of each practice's chain; locked while a new event is appended."""

    practice_id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.BinaryField(default=b"")
