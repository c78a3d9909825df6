"""Import a practice export (`bulk.practice_bulk`) into an EMPTY Psynote installation.

Every row keeps its id: UUIDs, and the numbers of the practice, its users and the
diagnoses, because a signed note's hash covers ids (ProgressNote.signature_payload names
the author and signer by user number). That is why the target must be empty: in an empty
install those numbers are free, and PostgreSQL's sequences are moved past them afterwards.

The clinical text comes from the FHIR DocumentReferences (their canonical-JSON
attachment) and is sealed again under this installation's master key, with new data keys;
diagnoses and measure administrations come from the side file and are sealed again the
same way (ADR 0002), each with its client's new key.
Each signed note and addendum must hash to the hash it was exported with, else nothing is
imported. The audit chain of the new install records, in the same transaction, one
`note.sign`/`addendum.sign` event per signed record (marked `imported`, so that
`psynote verify` can check the records against the chain) and one `import.practice`
event naming the export it came from.

Not imported: drafts and psychotherapy notes (never in a practice export), passwords
(users get unusable passwords: set new ones), the old audit log (its head hash is kept
in the import event).
"""

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction

from psynote.accounts.models import Practice, User
from psynote.audit import log
from psynote.clients.models import CareTeamMember, Client, Diagnosis
from psynote.exchange.fhir import build, bulk, record
from psynote.lib import canonical_json
from psynote.measures.models import Administration
from psynote.notes.models import Addendum, NoteTemplate, NoteTemplateVersion, ProgressNote
from psynote.supervision.models import Cosignature, Supervision
from psynote.visits.models import Session


class ImportRefused(Exception):
    """The export cannot be imported here; the message says why and what to do."""


@dataclass
class ImportSummary:
    practice: Practice
    counts: dict[str, int] = field(default_factory=dict)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            # Bulk Data files may end lines in CR LF (hl7.org/fhir/r4/nd-json.html)
            line = line.strip()
            if line:
                yield json.loads(line)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(in_dir: Path) -> dict[str, Any]:
    path = in_dir / bulk.MANIFEST
    if not path.exists():
        raise ImportRefused(f"{in_dir} has no {bulk.MANIFEST}: not a Psynote practice export.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    ours = (manifest.get("extension") or {}).get("psynote")
    if not ours or ours.get("format") != record.FORMAT:
        raise ImportRefused(f"{path} is not a Psynote practice export in format "
                            f"{record.FORMAT} (other FHIR bulk exports cannot be imported "
                            "as a whole practice).")
    for name, expected in ours["sha256"].items():
        if not (in_dir / name).exists():
            raise ImportRefused(f"{name} is listed in the manifest but missing.")
        if _sha256(in_dir / name) != expected:
            raise ImportRefused(f"{name} changed since the export (its SHA-256 differs "
                                "from the manifest's).")
    return manifest


def check_empty() -> None:
    held = {"practice(s)": Practice.objects.count(), "user(s)": User.objects.count(),
            "client(s)": Client.objects.count()}
    if any(held.values()):
        raise ImportRefused(
            "This installation is not empty (it holds "
            + ", ".join(f"{n} {what}" for what, n in held.items())
            + "). A practice is only imported into an empty installation, so that every id "
            "and signed hash carries over unchanged. Set up a new data folder and database, "
            "run `psynote init` there without --practice-name, then import.")


class _Documents:
    """The DocumentReference file read alongside the side file: both list notes in the
    same order, so one pass over each is enough and memory stays flat."""

    def __init__(self, path: Path) -> None:
        self.lines = _lines(path)

    def source_for(self, note_id: str) -> dict[str, Any]:
        for resource in self.lines:
            if resource.get("id") != note_id:
                continue
            build.validated(resource)
            for content in resource.get("content", []):
                attachment = content.get("attachment", {})
                if attachment.get("contentType") == build.SOURCE_CONTENT_TYPE:
                    source = canonical_json.loads(base64.b64decode(attachment["data"]))
                    if source.get("format") != build.SOURCE_FORMAT or source.get(
                            "note") != note_id:
                        break
                    return source
            raise ImportRefused(f"DocumentReference/{note_id} has no signed-content "
                                "attachment this version of Psynote can read.")
        raise ImportRefused(f"progress note {note_id}: no DocumentReference for it (or not "
                            "in the side file's order).")


def _chain_signing(practice: Any, action: str, target_type: str, target_id: object,
                   client: Any, detail: dict[str, Any]) -> None:
    """The new chain's record of a signing carried over: `psynote verify` checks each
    signed record against the hash its chain holds."""
    log.record(practice_id=practice.pk, action=action, target_type=target_type,
               target_id=target_id, client_id=client.pk, detail={**detail, "imported": True})


def _of_client(row: Any, client: Client | None) -> Any:
    """A diagnosis or administration of the client just imported is sealed with that
    client's new key (held in memory) instead of looking the key up again per row."""
    if client is not None and row.client_id == client.pk:
        row.client = client
    return row


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(
        no_style(), [Practice, User, Diagnosis, NoteTemplate, NoteTemplateVersion])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def import_practice(in_dir: Path | str) -> ImportSummary:
    in_dir = Path(in_dir)
    manifest = read_manifest(in_dir)
    ours = manifest["extension"]["psynote"]
    check_empty()
    with transaction.atomic():
        return _import(in_dir, manifest, ours)


def _import(in_dir: Path, manifest: dict[str, Any], ours: dict[str, Any]) -> ImportSummary:
    documents = _Documents(in_dir / "DocumentReference.ndjson")
    counts: dict[str, int] = {}
    supervisors: dict[int, int] = {}
    practice: Practice | None = None
    client: Client | None = None
    note: ProgressNote | None = None
    source: dict[str, Any] = {}

    for entry in _lines(in_dir / record.FILENAME):
        kind = entry.pop("record")
        if kind == "format":
            continue
        if kind not in record.KINDS:
            raise ImportRefused(f"{record.FILENAME}: unknown row kind {kind!r}")
        if kind == "note":  # an export made before templates were data names none
            entry.setdefault("template_version_id", None)
        # A user's single supervisor, in exports made before ADR 0013.
        legacy_supervisor = entry.pop("supervisor_id", None) if kind == "user" else None
        data = record.values(kind, entry)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "practice":
            practice = Practice(**data)
            practice.save(force_insert=True)
        elif kind == "user":
            user = User(practice=practice, **data)
            user.set_unusable_password()
            user.save(force_insert=True)
            if legacy_supervisor:
                supervisors[user.pk] = legacy_supervisor
        elif kind == "note_template":
            if counts[kind] == 1:  # the export's templates replace the freshly seeded ones
                NoteTemplateVersion.objects.filter(template__practice=practice).delete()
                NoteTemplate.objects.filter(practice=practice).delete()
            NoteTemplate(practice=practice, **data).save(force_insert=True)
        elif kind == "note_template_version":
            NoteTemplateVersion(**data).save(force_insert=True)
        elif kind == "supervision":
            Supervision(**data).save(force_insert=True)
        elif kind == "client":
            client = Client(practice=practice, **data)
            client.save(force_insert=True)
        elif kind == "care_team":
            CareTeamMember(**data).save(force_insert=True)
        elif kind == "diagnosis":
            _of_client(Diagnosis(**data), client).save(force_insert=True)
        elif kind == "session":
            Session(**data).save(force_insert=True)
        elif kind == "note":
            note = ProgressNote(**data)
            note.client = client
            if note.template_version_id is None:
                note.template_version = NoteTemplateVersion.objects.filter(
                    template__practice=practice, template__key=note.template, number=1).first()
            source = documents.source_for(str(note.pk))
            note.set_content(source["content"])
            if note.compute_hash() != note.content_hash:
                raise ImportRefused(f"progress note {note.pk}: its content does not hash "
                                    "to the signed hash it was exported with.")
            note.save(force_insert=True)
            _chain_signing(practice, "note.sign", "progress_note", note.pk, client, {
                "content_hash": note.content_hash, "late_entry": note.late_entry})
        elif kind == "addendum":
            addendum = Addendum(**data)
            if note is None or addendum.note_id != note.pk:
                raise ImportRefused(f"addendum {addendum.pk} does not follow its note.")
            addendum.note = note
            bodies = {a["id"]: a["body"] for a in source.get("addenda", [])}
            if str(addendum.pk) not in bodies:
                raise ImportRefused(f"addendum {addendum.pk}: its text is not in "
                                    f"DocumentReference/{note.pk}.")
            addendum.set_body(bodies[str(addendum.pk)])
            if addendum.compute_hash() != addendum.content_hash:
                raise ImportRefused(f"addendum {addendum.pk}: its text does not hash to the "
                                    "signed hash it was exported with.")
            addendum.save(force_insert=True)
            _chain_signing(practice, "addendum.sign", "addendum", addendum.pk, client, {
                "note": str(note.pk), "content_hash": addendum.content_hash})
        elif kind == "cosignature":
            cosignature = Cosignature(**data)
            if note is None or cosignature.note_id != note.pk \
                    or cosignature.note_hash != note.content_hash \
                    or cosignature.compute_hash() != cosignature.content_hash:
                raise ImportRefused(f"co-signature of {cosignature.note_id} does not follow "
                                    "its note or does not hash to its signed hash.")
            cosignature.save(force_insert=True)
            _chain_signing(practice, "note.cosign", "progress_note", note.pk, client, {
                "kind": cosignature.kind, "note_hash": cosignature.note_hash,
                "content_hash": cosignature.content_hash})
        elif kind == "administration":
            _of_client(Administration(**data), client).save(force_insert=True)
    if practice is None:
        raise ImportRefused(f"{record.FILENAME} names no practice.")
    for user_id, supervisor_id in supervisors.items():
        Supervision.objects.get_or_create(supervisee_id=user_id, supervisor_id=supervisor_id)
    _reset_sequences()
    log.record(practice_id=practice.pk, action="import.practice", target_type="practice",
               target_id=practice.pk, detail={
                   "format": ours["format"],
                   "exported_at": manifest.get("transactionTime", ""),
                   "source_practice": ours.get("practice", {}),
                   "source_audit_chain_head": ours.get("auditChainHead", {}),
                   "manifest_sha256": _sha256(in_dir / bulk.MANIFEST),
                   "counts": counts,
               })
    return ImportSummary(practice=practice, counts=counts)
