"""A client's record as FHIR R4 resources (US Core shaped), each validated by constructing
its `fhir.resources.R4B` model (HL7 FHIR R4, https://hl7.org/fhir/R4/).

This module is the entry point: `client_resources`, `client_bundle` and `client_ndjson`
assemble the record; one module per resource family builds the resources (`people`,
`encounter`, `conditions`, `documents`, `measures`, `careplan`, `consent`).

What goes out is chosen by `scope` (SCOPES) and a date range; nothing here checks who
asks: the disclosure gate in `psynote.exchange` decides that before calling in. Rules
that hold whatever the scope:

- drafts are never exported (only signed progress notes, with their addenda);
- psychotherapy notes only when `psychotherapy_notes` is in scope, as a distinct
  document type carrying the PSYTHPN security label (45 CFR 164.501, 164.508(a)(2));
- every code comes from a shipped table (`codes`); a resource that does not validate
  raises `FhirValidationError` and nothing is returned.

Encounters go out with progress notes (the notes point at them).
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from psynote.accounts.models import User
from psynote.clients.models import Client
from psynote.exchange.fhir import bundle, security
from psynote.exchange.fhir.careplan import plan_resources, plan_version
from psynote.exchange.fhir.conditions import condition
from psynote.exchange.fhir.consent import authorizations, consent
from psynote.exchange.fhir.datatypes import instant
from psynote.exchange.fhir.documents import (
    SOURCE_CONTENT_TYPE,
    SOURCE_FORMAT,
    progress_note_document,
    psychotherapy_note_document,
    signature_provenance,
)
from psynote.exchange.fhir.encounter import encounter
from psynote.exchange.fhir.measures import observation, questionnaire_response
from psynote.exchange.fhir.organization import organization
from psynote.exchange.fhir.people import patient, practitioner, practitioner_role
from psynote.exchange.fhir.scope import RECORD_SCOPE, SCOPES, DateRange, check_scope, in_range
from psynote.exchange.fhir.validation import FhirValidationError, validated
from psynote.notes.models import ProgressNote, PsychotherapyNote
from psynote.supervision.record import in_record

__all__ = [
    "NDJSON_TYPE", "RECORD_SCOPE", "SCOPES", "SOURCE_CONTENT_TYPE", "SOURCE_FORMAT",
    "DateRange", "FhirValidationError", "check_scope", "client_bundle", "client_ndjson",
    "client_resources", "dumps", "organization", "practitioner", "practitioner_role",
    "user_ids", "validated",
]


def user_ids(client: Client, scope: frozenset[str], date_range: DateRange) -> set[int]:
    """Every user the client's resources point at: care team, authors, signers."""
    ids = set(client.care_team.values_list("user_id", flat=True))
    if "diagnoses" in scope:
        ids |= set(client.diagnoses.values_list("added_by_id", flat=True))
    for note in _signed_notes(client, date_range):
        ids |= {note.author_id, note.signed_by_id, note.session.clinician_id}
        if (cosigned := getattr(note, "cosignature", None)) is not None:
            ids.add(cosigned.signed_by_id)
        for addendum in note.addenda.all():
            ids |= {addendum.author_id, addendum.signed_by_id}
    if "measures" in scope:
        ids |= {a.created_by_id for a in _administrations(client, date_range)
                if a.created_by_id}
    if "psychotherapy_notes" in scope:
        ids |= {n.author_id for n in _psychotherapy_notes(client, date_range)}
    if "plans" in scope:
        version = plan_version(client, date_range)
        if version is not None:
            ids.add(version.signed_by_id)
            ids |= {i.responsible_user_id for i in version.interventions.all()
                    if i.responsible_user_id}
    return ids


def _signed_notes(client: Client, date_range: DateRange):  # type: ignore[no-untyped-def]
    notes = (in_record(ProgressNote.objects.signed()).filter(client=client)
             .select_related("client", "session", "template_version__template",
                             "cosignature__signed_by")
             .prefetch_related("addenda")
             .order_by("session__date", "session__start_time", "signed_at", "id"))
    start, end = date_range
    if start:
        notes = notes.filter(session__date__gte=start)
    if end:
        notes = notes.filter(session__date__lte=end)
    return notes


def _administrations(client: Client, date_range: DateRange):  # type: ignore[no-untyped-def]
    # Through the client, so every row opens its sealed answers with the client's own key.
    rows = client.administrations.order_by("administered_at", "id")
    return [a for a in rows if in_range(timezone.localdate(a.administered_at), date_range)] \
        if any(date_range) else rows


def _psychotherapy_notes(client: Client, date_range: DateRange) -> list[PsychotherapyNote]:
    notes = PsychotherapyNote.objects.filter(client=client).select_related(
        "author", "session").order_by("created_at", "id")
    return [n for n in notes
            if in_range(n.session.date if n.session else timezone.localdate(n.created_at),
                        date_range)]


def client_resources(client: Client, scope: Iterable[str], date_range: DateRange = (None, None),
                     *, with_practitioners: bool = True) -> Iterator[dict[str, Any]]:
    """Every resource of the client's record in scope, validated, one at a time."""
    scope = check_scope(scope)
    label = security.labeller(client)
    for resource in _resources(client, scope, date_range, with_practitioners):
        yield label(resource)


def _resources(client: Client, scope: frozenset[str], date_range: DateRange,
               with_practitioners: bool) -> Iterator[dict[str, Any]]:
    yield patient(client, demographics="demographics" in scope)
    if with_practitioners:
        yield organization(client.practice)
        users = User.objects.filter(pk__in=user_ids(client, scope, date_range)).order_by("pk")
        for user in users:
            yield practitioner(user)
            yield practitioner_role(user)
    if "diagnoses" in scope:
        for diagnosis in client.diagnoses.order_by("pk"):
            yield condition(diagnosis)
    if "progress_notes" in scope:
        sessions = client.sessions.order_by("date", "start_time", "id")
        for session in sessions:
            if in_range(session.date, date_range):
                yield encounter(session)
        for note in _signed_notes(client, date_range):
            addenda = sorted(note.addenda.all(), key=lambda a: (a.signed_at, str(a.pk)))
            for addendum in addenda:
                addendum.note = note  # its body opens under the note's client's key
            yield progress_note_document(note, addenda)
            yield signature_provenance(note)
            for addendum in addenda:
                yield signature_provenance(addendum)
    if "measures" in scope:
        for administration in _administrations(client, date_range):
            yield questionnaire_response(administration)
            yield observation(administration)
    if "psychotherapy_notes" in scope:
        for note in _psychotherapy_notes(client, date_range):
            yield psychotherapy_note_document(
                note, with_encounter="progress_notes" in scope)
    if "plans" in scope:
        version = plan_version(client, date_range)
        if version is not None:
            yield from plan_resources(version, diagnoses="diagnoses" in scope)
    if "demographics" in scope:
        for authorization in authorizations(client):
            yield consent(authorization)


def client_bundle(client: Client, scope: set[str],
                  date_range: DateRange = (None, None)) -> dict[str, Any]:
    """A `collection` Bundle of the client's record in scope (HL7 FHIR R4 Bundle.type value
    set, http://hl7.org/fhir/R4/valueset-bundle-type.html). Every entry has a `urn:uuid:`
    fullUrl and every reference between entries is rewritten to it (`bundle`)."""
    entries = bundle.entries(list(client_resources(client, scope, date_range)),
                             namespace=f"practice-{client.practice_id}")
    return validated({
        "resourceType": "Bundle",
        "id": f"client-{client.pk}",
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": entries,
    })


NDJSON_TYPE = "application/fhir+ndjson"


def client_ndjson(client: Client, scope: Iterable[str],
                  date_range: DateRange = (None, None)) -> dict[str, Any]:
    """The client's record as Bulk-Data-style NDJSON for the disclosure gate (HL7 Bulk Data
    NDJSON, http://hl7.org/fhir/R4/nd-json.html): resource type → its resources, which
    the gate writes one type per file (`<Type>.ndjson`, one canonical-JSON resource per
    LF-ended line), and `bulk-manifest` → the Bulk Data manifest naming those files. The
    name avoids the package's own manifest.json, which signs them all."""
    files: dict[str, Any] = {}
    for resource in client_resources(client, scope, date_range):
        files.setdefault(resource["resourceType"], []).append(resource)
    files["bulk-manifest"] = {
        "transactionTime": instant(timezone.now()),
        "request": f"Patient/{client.pk}/$export",
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": f"{kind}.ndjson", "count": len(files[kind])}
                   for kind in sorted(files) if kind != "bulk-manifest"],
        "error": [],
        "extension": {"psynote": {"outputFormat": NDJSON_TYPE}},
    }
    return files


def dumps(resource: dict[str, Any]) -> str:
    """One resource as one NDJSON line (compact, key order as the model emits it)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
