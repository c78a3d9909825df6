"""Supervision of pre-licensed clinicians (docs/adr/0013-supervision-review-and-cosignature.md).

`Supervision` says who supervises whom and how closely. The review of one progress note
(`NoteReview`), its hand-offs (`ReviewStep`), the supervisor's section-anchored feedback
(`ReviewComment`, sealed like notes, never part of the client's record) and the
co-signature (`Cosignature`, recorded like a signature, never removed) hang off the note.

This module imports no clinical app: `clients.access` asks it who supervises whom.
"""

import hashlib
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.lib import canonical_json, crypto
from psynote.lib.immutable import SignedRecordChange


class CosignatureLocked(SignedRecordChange):
    """A co-signature never changes and is never removed."""


class Mode(models.TextChoices):
    REVIEW = "review", "Review (may read and co-sign)"
    APPROVE_BEFORE_RECORD = "approve_before_record", "Approve before record"
    COSIGN_REQUIRED = "cosign_required", "Co-signature required"


# The strictest mode wins when a supervisee has several supervisors.
STRICTNESS = [Mode.REVIEW, Mode.COSIGN_REQUIRED, Mode.APPROVE_BEFORE_RECORD]


class Supervision(models.Model):
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="supervisions_given")
    supervisee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="supervisions_received")
    mode = models.CharField(max_length=30, choices=Mode.choices, default=Mode.REVIEW)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["supervisee_id", "supervisor_id"]
        constraints = [
            models.UniqueConstraint(fields=["supervisor", "supervisee"],
                                    name="supervision_unique_pair"),
            models.CheckConstraint(condition=~models.Q(supervisor=models.F("supervisee")),
                                   name="supervision_not_self"),
            models.CheckConstraint(condition=models.Q(mode__in=Mode.values),
                                   name="supervision_mode_valid"),
        ]


class ReviewState(models.TextChoices):
    READY = "ready_for_review", "Ready for review"
    RETURNED = "returned", "Returned: needs revision"
    AWAITING_APPROVAL = "awaiting_approval", "Signed: pending supervisor approval"
    AWAITING_COSIGNATURE = "awaiting_cosignature", "Signed: awaiting co-signature"
    SIGNED = "signed", "Signed"
    APPROVED = "approved", "Approved by supervisor"
    COSIGNED = "cosigned", "Co-signed"


# States in which a supervisor has something to do.
AWAITING_SUPERVISOR = (ReviewState.READY, ReviewState.AWAITING_APPROVAL,
                       ReviewState.AWAITING_COSIGNATURE)


class NoteReview(models.Model):
    """The supervision state of one progress note. `held` is true while the note, though
    signed, is not part of the client's record (approve-before-record mode): the one column
    every listing of the record filters on (`supervision.record.in_record`)."""

    note = models.OneToOneField("notes.ProgressNote", on_delete=models.CASCADE,
                                primary_key=True, related_name="supervision_review")
    state = models.CharField(max_length=30, choices=ReviewState.choices)
    # The author's mode when the note was signed: later changes of mode do not move a note
    # into or out of the record.
    mode_at_signing = models.CharField(max_length=30, choices=Mode.choices, blank=True)
    held = models.BooleanField(default=False)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state"], name="notereview_state")]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ReviewState.values),
                                   name="notereview_state_valid"),
            models.CheckConstraint(
                condition=models.Q(held=False) | models.Q(state=ReviewState.AWAITING_APPROVAL),
                name="notereview_held_only_awaiting_approval"),
        ]

    @property
    def awaits_cosignature(self) -> bool:
        return self.state == ReviewState.AWAITING_COSIGNATURE


class ReviewStep(models.Model):
    """One hand-off of the review (marked ready, returned, approved, co-signed): kept as the
    note's supervision history. No clinical content."""

    class Action(models.TextChoices):
        READY = "ready", "Marked ready for review"
        RETURNED = "returned", "Returned for revision"
        SIGNED = "signed", "Signed by the author"
        APPROVED = "approved", "Approved"
        COSIGNED = "cosigned", "Co-signed"

    note = models.ForeignKey("notes.ProgressNote", on_delete=models.CASCADE,
                             related_name="review_steps")
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]


class ReviewComment(models.Model):
    """Feedback between supervisor and supervisee on one note, anchored to a section key
    (blank: the note as a whole). Sealed under the client's data key like the note itself;
    it is not part of the client's record and is never disclosed or exported."""

    MAX_TEXT = 10_000

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey("notes.ProgressNote", on_delete=models.CASCADE,
                             related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    section = models.CharField(max_length=60, blank=True)
    # True for feedback left once the note was signed (the private feedback thread).
    on_signed_note = models.BooleanField(default=False)
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def _aad(self) -> bytes:
        return crypto.aad_for("supervision_reviewcomment", self.pk, "body")

    def body(self) -> str:
        if not hasattr(self, "_body"):
            key = self.note.client.data_key()
            self._body = crypto.open_sealed(key, bytes(self.body_ct), self._aad()).decode()
        return self._body

    def set_body(self, text: str) -> None:
        self._body = text
        self.body_ct = crypto.seal(self.note.client.data_key(), text.encode(), self._aad())


class Cosignature(models.Model):
    """The supervisor's signature under a supervisee's signed note: an approval (approve
    before record) or a co-signature. One per note; its content hash covers the note's own
    hash and enters the audit chain. The model refuses change and removal, and database
    triggers refuse UPDATE and DELETE (migration 0002)."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", "Approved"
        COSIGNATURE = "cosignature", "Co-signed"

    note = models.OneToOneField("notes.ProgressNote", on_delete=models.PROTECT,
                                primary_key=True, related_name="cosignature")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    signer_name = models.CharField(max_length=250)
    signed_at = models.DateTimeField()
    note_hash = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(signer_name="") & ~models.Q(content_hash="")
                & ~models.Q(note_hash=""),
                name="cosignature_signed"),
            models.CheckConstraint(condition=models.Q(kind__in=["approval", "cosignature"]),
                                   name="cosignature_kind_valid"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise CosignatureLocked("a co-signature never changes")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise CosignatureLocked("a co-signature is never removed")

    def signature_payload(self) -> dict[str, Any]:
        return {
            "kind": "cosignature",
            "cosignature_kind": self.kind,
            "note": str(self.note_id),
            "note_hash": self.note_hash,
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": self.signed_at.astimezone(UTC).isoformat(),
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json.dumps(self.signature_payload())).hexdigest()

    @property
    def label(self) -> str:
        return "Approved by supervisor" if self.kind == self.Kind.APPROVAL else "Co-signed"
