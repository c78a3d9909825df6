"""The side file of a practice export: what FHIR cannot carry exactly, without any sealed
clinical text.

A receiving Psynote must rebuild every row so that each signed note's SHA-256 comes out
the same. The signature payload names rows by id (note, client and session UUIDs, user
and diagnosis numbers) and holds fields FHIR has no place for (template, signer name as
signed, CPT text, late-entry flag, exact instants). So the side file carries, one JSON
object per line (`record`: the kind of row, then its columns), every such column of the
practice, its users, and each client's care team, diagnoses, sessions, signed notes,
addenda and measure administrations. The clinical text (note content and addenda bodies) travels
only in the FHIR DocumentReferences. Password hashes never leave: imported users must be
given new passwords.

Diagnoses and administrations carry their sealed facts (code, description, onset date;
answers, total, band, flags) opened, as columns: the package is signed, and they are in
its FHIR Conditions and Observations as well. On import they are sealed again under the
new installation's keys.

`canonical_record` is the same rows plus the opened clinical text, sorted: two installs
hold the same record exactly when their canonical records are equal.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import models

from psynote.accounts.models import Practice, User
from psynote.clients.models import CareTeamMember, Client, Diagnosis
from psynote.lib.sealed import SealedFacts
from psynote.measures.models import Administration
from psynote.notes.models import Addendum, NoteTemplate, NoteTemplateVersion, ProgressNote
from psynote.supervision.models import Cosignature, Supervision
from psynote.supervision.record import in_record
from psynote.visits.models import Session

FORMAT = "psynote-record/1"
FILENAME = "psynote-record.ndjson"

# kind -> (model, columns). Order matters on import: a row only points at earlier kinds.
KINDS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "practice": (Practice, ("id", "name", "late_entry_hours", "created_at")),
    "user": (User, ("id", "username", "first_name", "last_name", "email", "role",
                    "credentials", "licence_number", "licence_state",
                    "is_active", "date_joined")),
    # The practice's note templates and every version: a note renders with its own.
    "note_template": (NoteTemplate, ("id", "key", "name", "builtin", "retired_at",
                                     "created_at")),
    "note_template_version": (NoteTemplateVersion, ("id", "template_id", "number", "name",
                                                    "sections", "blocks", "session_kinds",
                                                    "created_at")),
    "supervision": (Supervision, ("supervisor_id", "supervisee_id", "mode", "created_at")),
    "client": (Client, ("id", "first_name", "last_name", "preferred_name", "pronouns",
                        "date_of_birth", "sex_assigned_at_birth", "gender_identity", "phone",
                        "email", "address", "emergency_contact", "status", "created_at")),
    "care_team": (CareTeamMember, ("client_id", "user_id", "role", "added_at")),
    "diagnosis": (Diagnosis, ("id", "client_id", "code", "description", "is_primary",
                              "status", "onset_date", "added_by_id", "added_at")),
    "session": (Session, ("id", "client_id", "clinician_id", "date", "start_time", "end_time",
                          "service", "modality", "place", "attendance",
                          "interactive_complexity", "created_at")),
    "note": (ProgressNote, ("id", "client_id", "session_id", "author_id", "template",
                            "template_version_id",
                            "risk_flagged", "cpt_code", "late_entry", "created_at",
                            "updated_at", "signed_at", "signed_by_id", "signer_name",
                            "content_hash")),
    "addendum": (Addendum, ("id", "note_id", "author_id", "kind", "created_at", "signed_at",
                            "signed_by_id", "signer_name", "content_hash")),
    "cosignature": (Cosignature, ("note_id", "kind", "signed_by_id", "signer_name",
                                  "signed_at", "note_hash", "content_hash")),
    "administration": (Administration, ("id", "client_id", "instrument", "administered_at",
                                        "source", "answers", "total", "band", "flags",
                                        "created_by_id", "created_at")),
}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def row(kind: str, obj: models.Model) -> dict[str, Any]:
    _, columns = KINDS[kind]
    return {"record": kind, **{c: _json(getattr(obj, c)) for c in columns}}


def values(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A side-file row back into model field values (each field parses its own text)."""
    model, columns = KINDS[kind]
    sealed = model.fact_names() if issubclass(model, SealedFacts) else {}
    result = {}
    for column in columns:
        value = data[column]
        if column in sealed:  # a sealed fact parses its own value when it is set
            result[column] = value
            continue
        field = model._meta.get_field(column.removesuffix("_id") if column != "id" else "id")
        result[column] = value if value is None or isinstance(field, models.JSONField) \
            else field.to_python(value)
    return result


def practice_rows(practice: Practice) -> Iterator[dict[str, Any]]:
    yield {"record": "format", "format": FORMAT}
    yield row("practice", practice)
    for user in User.objects.filter(practice=practice).order_by("pk").iterator():
        yield row("user", user)
    for supervision in _supervisions(practice):
        yield row("supervision", supervision)
    yield from template_rows(practice)


def _supervisions(practice: Practice):  # type: ignore[no-untyped-def]
    return Supervision.objects.filter(supervisee__practice=practice).order_by(
        "supervisee_id", "supervisor_id")


def template_rows(practice: Practice) -> Iterator[dict[str, Any]]:
    for template in NoteTemplate.objects.filter(practice=practice).order_by("pk"):
        yield row("note_template", template)
        for version in template.versions.order_by("number"):
            yield row("note_template_version", version)


def signed_notes(client: Client):  # type: ignore[no-untyped-def]
    """The client's signed notes in export order (drafts never leave, nor notes held for a
    supervisor's approval: they are not part of the record yet)."""
    return (in_record(ProgressNote.objects.signed().filter(client=client))
            .select_related("client", "session", "cosignature").prefetch_related("addenda")
            .order_by("session__date", "session__start_time", "signed_at", "id"))


def sorted_addenda(note: ProgressNote) -> list[Addendum]:
    addenda = sorted(note.addenda.all(), key=lambda a: (a.signed_at, str(a.pk)))
    for addendum in addenda:
        addendum.note = note
    return addenda


def client_rows(client: Client) -> Iterator[dict[str, Any]]:
    yield row("client", client)
    for member in client.care_team.order_by("pk"):
        yield row("care_team", member)
    for diagnosis in client.diagnoses.order_by("pk"):
        yield row("diagnosis", diagnosis)
    for session in client.sessions.order_by("date", "start_time", "id"):
        yield row("session", session)
    for note in signed_notes(client):
        yield row("note", note)
        for addendum in sorted_addenda(note):
            yield row("addendum", addendum)
        if (cosignature := getattr(note, "cosignature", None)) is not None:
            yield row("cosignature", cosignature)
    for administration in client.administrations.order_by("administered_at", "id"):
        yield row("administration", administration)


def canonical_record(practice: Practice) -> dict[str, Any]:
    """The practice's whole record as sorted JSON-ready data, clinical text opened:
    for comparing two installs, not for export."""
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    texts: dict[str, dict[str, Any]] = {}
    rows["practice"].append(row("practice", practice))
    for user in User.objects.filter(practice=practice):
        rows["user"].append(row("user", user))
    for entry in template_rows(practice):
        rows[entry.pop("record")].append(entry)
    for supervision in _supervisions(practice):
        entry = row("supervision", supervision)
        entry.pop("record")
        rows["supervision"].append(entry)
    for client in Client.objects.filter(practice=practice).iterator():
        for entry in client_rows(client):
            kind = entry.pop("record")
            rows[kind].append(entry)
        for note in signed_notes(client):
            opened = {"content": note.content(), "recomputed_hash": note.compute_hash()}
            for addendum in sorted_addenda(note):
                opened[f"addendum:{addendum.pk}"] = {
                    "body": addendum.body(), "recomputed_hash": addendum.compute_hash()}
            texts[str(note.pk)] = opened
    for entry in rows["note"]:
        opened = texts[entry["id"]]
        entry |= {"content": opened["content"], "recomputed_hash": opened["recomputed_hash"]}
    for entry in rows["addendum"]:
        entry |= texts[entry["note_id"]][f"addendum:{entry['id']}"]
    for entries in rows.values():
        entries.sort(key=lambda r: (str(r.get("id", "")), str(r.get("client_id", "")),
                                    str(r.get("user_id", ""))))
    return rows
