import hashlib
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone

from psynote.clients.models import Client
from psynote.lib import canonical_json, crypto, kdf, recovery_key
from psynote.lib.immutable import SignedRecordChange
from psynote.notes import keyring
from psynote.notes.template_models import (  # noqa: F401 (models of this app)
    NoteTemplate,
    NoteTemplateVersion,
    TemplateEditor,
)
from psynote.notes.templates import BUILTIN_TEMPLATES, Template
from psynote.visits.models import Session


class SignedRecordLocked(SignedRecordChange):
    """A signed note or addendum never changes; write an addendum instead."""


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def _sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json.dumps(payload)).hexdigest()


class LockedWhenSigned(models.Model):
    """Refuses save/delete once the row was loaded or saved as signed (the database
    triggers in the migrations refuse the same, for writes that bypass the ORM)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._stored_signed = instance.signed_at is not None
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_stored_signed", False):
            raise SignedRecordLocked(f"{self._meta.verbose_name} is signed and cannot change")
        super().save(*args, **kwargs)
        self._stored_signed = self.signed_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.signed_at is not None:
            raise SignedRecordLocked(f"{self._meta.verbose_name} is signed and cannot be deleted")
        return super().delete(*args, **kwargs)


class ProgressNoteQuerySet(models.QuerySet):
    def signed(self) -> "ProgressNoteQuerySet":
        return self.filter(signed_at__isnull=False)

    def drafts(self) -> "ProgressNoteQuerySet":
        return self.filter(signed_at__isnull=True)


class ProgressNote(LockedWhenSigned):
    """The progress note of one session: part of the designated record set.

    Its content (sections, MSE, risk block, interventions, diagnoses addressed, late-entry
    reason) is one canonical-JSON document sealed under the client's data key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="progress_notes")
    session = models.OneToOneField(Session, on_delete=models.PROTECT,
                                   related_name="progress_note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="progress_notes")
    # The template's key (in the signature payload) and the exact version the note was
    # written with, which it always renders with (ADR 0015). Nullable in the schema only
    # because SQLite cannot add a NOT NULL column without rebuilding the table (and its
    # immutability triggers); every note gets one when started or migrated.
    template = models.CharField(max_length=20)
    template_version = models.ForeignKey(NoteTemplateVersion, on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="notes")
    content_ct = models.BinaryField()
    risk_flagged = models.BooleanField(default=False)
    cpt_code = models.CharField(max_length=60, blank=True)
    late_entry = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    signer_name = models.CharField(max_length=250, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)

    objects = ProgressNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(signed_at__isnull=True, signed_by__isnull=True,
                             signer_name="", content_hash="")
                    | models.Q(signed_at__isnull=False, signed_by__isnull=False)
                    & ~models.Q(signer_name="") & ~models.Q(content_hash="")
                ),
                name="note_signature_fields_together",
            ),
        ]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def template_def(self) -> Template:
        if not hasattr(self, "_template_def"):
            version = self.template_version
            self._template_def = (version.definition() if version is not None
                                  else BUILTIN_TEMPLATES[self.template])
        return self._template_def

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_progressnote", self.pk, "content")

    def content(self) -> dict[str, Any]:
        if not hasattr(self, "_content"):
            plain = crypto.open_sealed(self.client.data_key(), self.content_ct, self._aad())
            self._content = canonical_json.loads(plain)
        return self._content

    def set_content(self, content: dict[str, Any]) -> None:
        self._content = content
        self.content_ct = crypto.seal(self.client.data_key(), canonical_json.dumps(content),
                                      self._aad())

    def signature_payload(self) -> dict[str, Any]:
        """Exactly what a signature vouches for; its SHA-256 is the content hash."""
        return {
            "kind": "progress_note",
            "id": str(self.pk),
            "client": str(self.client_id),
            "session": str(self.session_id),
            "author": self.author_id,
            "template": self.template,
            "content": self.content(),
            "cpt": self.cpt_code,
            "late_entry": self.late_entry,
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": _iso(self.signed_at),
        }

    def compute_hash(self) -> str:
        return _sha256(self.signature_payload())


class Addendum(LockedWhenSigned):
    """A correction or later information under a signed note; signed when written."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        LATE_INFORMATION = "late_information", "Later information"
        CLARIFICATION = "clarification", "Clarification"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    signer_name = models.CharField(max_length=250)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(content_hash="") & ~models.Q(signer_name=""),
                name="addendum_signed",
            ),
        ]

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_addendum", self.pk, "body")

    def body(self) -> str:
        if not hasattr(self, "_body"):
            key = self.note.client.data_key()
            self._body = crypto.open_sealed(key, self.body_ct, self._aad()).decode()
        return self._body

    def set_body(self, text: str) -> None:
        self._body = text
        self.body_ct = crypto.seal(self.note.client.data_key(), text.encode(), self._aad())

    def signature_payload(self) -> dict[str, Any]:
        return {
            "kind": "addendum",
            "id": str(self.pk),
            "note": str(self.note_id),
            "note_hash": self.note.content_hash,
            "author": self.author_id,
            "addendum_kind": self.kind,
            "body": self.body(),
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": _iso(self.signed_at),
        }

    def compute_hash(self) -> str:
        return _sha256(self.signature_payload())


class PsychotherapyKey(models.Model):
    """Each author's own data key for their psychotherapy notes, sealed to the author
    (ADR 0009): it opens with a key derived from the author's password (Argon2id) or from
    the recovery key only the author holds, never with the master key alone, nor with
    anything an administrator can set.

    Each wrapping is sealed twice: inside, under the author's secret; outside, under the
    master key, so that a copy of the database alone does not even allow guessing the
    password offline. A row without a key (`has_key` false) records that the account's
    password was chosen by someone else before any key existed: none may be made under it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                primary_key=True, related_name="psychotherapy_key")
    password_wrapped = models.BinaryField(default=b"", blank=True)
    password_salt = models.BinaryField(default=b"", blank=True)
    password_kdf = models.CharField(max_length=100, blank=True)
    recovery_wrapped = models.BinaryField(default=b"", blank=True)
    recovery_salt = models.BinaryField(default=b"", blank=True)
    recovery_made_at = models.DateTimeField(null=True, blank=True)
    # Set when the account's password stopped being the one the key is sealed under
    # without the author re-sealing it (an admin's reset): the notes stay sealed until the
    # author gives their recovery key or previous password.
    sealed_since = models.DateTimeField(null=True, blank=True)
    # Before ADR 0009 the key was wrapped by the master key alone. Such a key is re-sealed
    # at its author's next sign-in, and only with the password they had when the upgrade
    # ran (its hash, copied here by the migration), never one set after it.
    legacy_wrapped = models.BinaryField(default=b"", blank=True)
    legacy_password_hash = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def _aad(self, field: str) -> bytes:
        return crypto.aad_for("notes_psychotherapykey", self.user_id, field)

    @property
    def has_key(self) -> bool:
        return bool(self.password_wrapped or self.recovery_wrapped or self.legacy_wrapped)

    @property
    def has_recovery_key(self) -> bool:
        return bool(self.recovery_wrapped)

    def _seal(self, kek: bytes, key: bytes, field: str) -> bytes:
        inner = crypto.seal(kek, key, self._aad(field))
        return crypto.wrap(inner, self._aad(field + "_outer"))

    def _open(self, kek: bytes, blob: bytes, field: str) -> bytes | None:
        try:
            inner = crypto.unwrap(bytes(blob), self._aad(field + "_outer"))
            return crypto.open_sealed(kek, inner, self._aad(field))
        except crypto.DecryptionError:
            return None

    def seal_to_password(self, key: bytes, password: str) -> None:
        params = kdf.Argon2Params(**settings.PSYCHOTHERAPY_KDF)
        salt = kdf.new_salt()
        self.password_kdf, self.password_salt = params.encode(), salt
        self.password_wrapped = self._seal(kdf.from_password(password, salt, params), key,
                                           "password")

    def open_with_password(self, password: str) -> bytes | None:
        if not self.password_wrapped or not password:
            return None
        params = kdf.Argon2Params.decode(self.password_kdf)
        kek = kdf.from_password(password, bytes(self.password_salt), params)
        return self._open(kek, self.password_wrapped, "password")

    def password_cost_is_current(self) -> bool:
        return self.password_kdf == kdf.Argon2Params(**settings.PSYCHOTHERAPY_KDF).encode()

    def seal_to_new_recovery_key(self, key: bytes) -> str:
        """A new recovery key replaces the old one; it is returned to be shown once and is
        stored nowhere but in this wrapping."""
        phrase = recovery_key.new()
        salt = kdf.new_salt()
        self.recovery_salt, self.recovery_made_at = salt, timezone.now()
        self.recovery_wrapped = self._seal(self._recovery_kek(phrase, salt), key, "recovery")
        return phrase

    def open_with_recovery_key(self, typed: str) -> bytes | None:
        phrase = recovery_key.normalize(typed)
        if phrase is None or not self.recovery_wrapped:
            return None
        kek = self._recovery_kek(phrase, bytes(self.recovery_salt))
        return self._open(kek, self.recovery_wrapped, "recovery")

    def _recovery_kek(self, phrase: str, salt: bytes) -> bytes:
        return kdf.from_random_secret(phrase.encode(), salt,
                                      self._aad("recovery_kek"))

    def open_legacy(self, password: str) -> bytes | None:
        """A pre-ADR-0009 key, only for the password its author had at the upgrade."""
        if not self.legacy_wrapped or not password or not self.legacy_password_hash:
            return None
        if not check_password(password, self.legacy_password_hash):
            return None
        try:
            return crypto.unwrap(bytes(self.legacy_wrapped), self._aad("data_key"))
        except crypto.DecryptionError:
            return None

    def forget_legacy(self) -> None:
        self.legacy_wrapped, self.legacy_password_hash = b"", ""


class PsychotherapyNote(models.Model):
    """Process notes (45 CFR 164.501): kept apart from the record, readable by the author only,
    sealed under the author's own key, which opens only where the author opened it
    (`keyring`; else `keyring.Sealed`). Never listed, summarised or exported for anyone
    else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="psychotherapy_notes")
    client = models.ForeignKey(Client, on_delete=models.PROTECT,
                               related_name="psychotherapy_notes")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="psychotherapy_notes")
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def _aad(self) -> bytes:
        return crypto.aad_for("notes_psychotherapynote", self.pk, "body")

    def body(self) -> str:
        if not hasattr(self, "_body"):
            key = keyring.key_for(self.author_id)
            self._body = crypto.open_sealed(key, self.body_ct, self._aad()).decode()
        return self._body

    def set_body(self, text: str) -> None:
        self._body = text
        self.body_ct = crypto.seal(keyring.key_for(self.author_id), text.encode(),
                                   self._aad())
