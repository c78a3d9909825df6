"""Checking every signed note, addendum and treatment-plan version against its hash and
the audit chain.

A signed record is intact when its ciphertext opens under its own row's associated data
(so it was neither edited nor swapped with another row's), the SHA-256 of what it says
equals the stored content hash, and that hash equals the one the audit chain recorded
when it was signed.
"""

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from psynote.audit.models import AuditEvent
from psynote.clients.models import Client
from psynote.lib import canonical_json, crypto
from psynote.lib.crypto import DecryptionError
from psynote.lib.integrity import Problem
from psynote.notes.models import Addendum, ProgressNote
from psynote.plans import models as plans
from psynote.plans.models import PlanVersion
from psynote.supervision.integrity import cosignature_problems


def _chained_hashes(practice_id: int, action: str) -> dict[str, str]:
    rows = AuditEvent.objects.filter(practice_id=practice_id, action=action).values_list(
        "target_id", "detail")
    return {target: canonical_json.loads(detail).get("content_hash", "") for target, detail in rows}


def _check(kind: str, record, chained: dict[str, str]) -> Problem | None:  # type: ignore[no-untyped-def]
    record_id = str(record.pk)
    try:
        computed = record.compute_hash()
    except DecryptionError:
        return Problem(kind, record_id, "its ciphertext was altered or moved from another row")
    if computed != record.content_hash:
        return Problem(kind, record_id, "its content no longer matches its signed hash")
    if chained.get(record_id) != record.content_hash:
        return Problem(kind, record_id, "its signed hash differs from the one in the audit chain")
    return None


# What a progress note's signature payload (`ProgressNote.signature_payload`) is made of,
# in the order `_note_holds` reads them.
_NOTE_COLUMNS = ("pk", "client_id", "session_id", "author_id", "template", "content_ct",
                 "cpt_code", "late_entry", "signed_by_id", "signer_name", "signed_at",
                 "content_hash")


class _ClientKeys:
    """Each client's data key, unwrapped once for the whole check instead of once per
    signed row (the clients are read in one query, the first time one is needed)."""

    def __init__(self, practice_id: int) -> None:
        self.practice_id = practice_id
        self.clients: dict[Any, Client] | None = None

    def client(self, client_id: Any) -> Client | None:
        """The practice's client, one instance per client: it keeps its unwrapped key."""
        if self.clients is None:
            self.clients = {c.pk: c for c in Client.objects.filter(practice_id=self.practice_id)
                            .only("id", "wrapped_key")}
        return self.clients.get(client_id)

    def __getitem__(self, client_id: Any) -> bytes:
        client = self.client(client_id)
        if client is None:
            raise DecryptionError("the row's client is not in this practice")
        return client.data_key()


_string = encode_basestring  # json.dumps(ensure_ascii=False) of one str


def _json(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _iso(moment: Any) -> str:
    # As the note model writes `signed_at` into its signature payload.
    return moment.astimezone(UTC).isoformat() if moment else ""


def _note_holds(row: tuple[Any, ...], record_id: str, keys: _ClientKeys,
                chained: dict[str, str]) -> bool:
    """True when a signed note's stored bytes hash to its content hash and that hash is the
    one the chain recorded. The fast path of `_check`: the note's sealed content already is
    canonical JSON (`ProgressNote.set_content`), so its plaintext is hashed as it stands,
    placed in the payload between the keys that sort before "content" and those after,
    rather than parsed and serialised again. Anything else returns False."""
    (_, client_id, session_id, author_id, template, sealed, cpt, late_entry, signed_by_id,
     signer_name, signed_at, content_hash) = row
    if chained.get(record_id) != content_hash:
        return False
    try:
        plain = crypto.open_sealed(keys[client_id], sealed,
                                   crypto.aad_for("notes_progressnote", record_id, "content"))
    except (DecryptionError, crypto.KeyShredded):
        return False
    # Every key in sorted order, each value as `canonical_json.dumps` writes it (strings
    # through the same encoder, ints as digits): checked against `compute_hash` in the tests.
    payload = "".join((
        '{"author":', _json(author_id), ',"client":"', str(client_id), '","content":',
    )).encode() + plain + "".join((
        ',"cpt":', _string(cpt), ',"id":"', record_id, '","kind":"progress_note","late_entry":',
        "true" if late_entry else "false", ',"session":"', str(session_id),
        '","signed_at":"', _iso(signed_at), '","signed_by":', _json(signed_by_id),
        ',"signer_name":', _string(signer_name), ',"template":', _string(template), "}",
    )).encode()
    return hashlib.sha256(payload).hexdigest() == content_hash


# A plan version's structure is four lists of items (`PlanVersion.structure`).
_PLAN_ITEMS = {"problems": plans.Problem, "goals": plans.Goal, "objectives": plans.Objective,
               "interventions": plans.PlanIntervention}


def _plan_versions(practice_id: int, batch: int = 2000) -> Iterator[PlanVersion]:
    """The practice's signed plan versions with their items, four queries per `batch`
    versions rather than four per version. The items go where `prefetch_related` puts
    them, grouped here instead of through a queryset per version and list, which cost
    more than the queries."""
    versions = (PlanVersion.objects.signed().filter(plan__client__practice_id=practice_id)
                .select_related("plan").iterator(chunk_size=batch))
    while chunk := list(itertools.islice(versions, batch)):
        ids = [version.pk for version in chunk]
        for name, model in _PLAN_ITEMS.items():
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for item in model.objects.filter(version_id__in=ids):  # in `position` order
                grouped[item.version_id].append(item)
            for version in chunk:
                version.__dict__.setdefault("_prefetched_objects_cache", {})[name] = (
                    grouped.get(version.pk, []))
        yield from chunk


def _gone(kind: str, chained: dict[str, str], seen: set[str]) -> Iterator[Problem]:
    # The chain remembers every signing, so a signed row deleted, or "unsigned" back into
    # an editable draft, behind the triggers' back still shows.
    for record_id in sorted(set(chained) - seen):
        yield Problem(kind, record_id, "the audit chain records its signing, but it is "
                                       "missing or no longer signed")


def destroyed_records(practice_id: int) -> list[str]:
    """One line per client whose record was destroyed under retention: their signed rows
    stay as ciphertext nobody can open, which is not tampering. A shredded key without a
    tombstone is not a destruction, and is not listed (its records show as broken)."""
    from psynote.records.models import Destruction  # the records app sits above notes

    destroyed, _ = _destroyed_clients(practice_id)
    done = (Destruction.objects.filter(client__practice_id=practice_id, status="done",
                                       client_id__in=destroyed)
            .order_by("confirmed_at"))
    return [f"client {d.client_id}: destroyed on {d.confirmed_at:%Y-%m-%d} under retention, "
            f"tombstone #{d.pk}" for d in done]


def _destroyed_clients(practice_id: int) -> tuple[set[object], list[Problem]]:
    """Clients whose records may be skipped, and tombstones that do not hold up.

    A tombstone counts only when the client's key really is shredded and the audit chain
    records the destruction's confirmation: a row written behind the application's back
    (a "done" tombstone over a live key) must not make verify look away from a record."""
    from psynote.clients.models import SHREDDED_KEY
    from psynote.records.models import Destruction

    confirmed = set(AuditEvent.objects.filter(practice_id=practice_id,
                                              action="destruction.confirm")
                    .values_list("target_id", flat=True))
    destroyed: set[object] = set()
    problems: list[Problem] = []
    for pk, client_id, key in (Destruction.objects
                               .filter(client__practice_id=practice_id, status="done")
                               .values_list("pk", "client_id", "client__wrapped_key")):
        if bytes(key or b"") != SHREDDED_KEY:
            problems.append(Problem("destruction", str(pk), f"client {client_id} is marked "
                                    "destroyed, but its key is live: the tombstone is false"))
        elif str(pk) not in confirmed:
            problems.append(Problem("destruction", str(pk), "the audit chain records no "
                                    "confirmation of this destruction"))
        else:
            destroyed.add(client_id)
    return destroyed, problems


def signed_records_problems(practice_id: int) -> Iterator[Problem]:
    destroyed, tombstone_problems = _destroyed_clients(practice_id)
    yield from tombstone_problems
    notes = _chained_hashes(practice_id, "note.sign")
    seen: set[str] = set()
    keys = _ClientKeys(practice_id)
    for row in (ProgressNote.objects.signed().filter(client__practice_id=practice_id)
                .values_list(*_NOTE_COLUMNS).iterator(chunk_size=2000)):
        record_id = str(row[0])
        seen.add(record_id)
        if row[1] in destroyed:
            continue
        if _note_holds(row, record_id, keys, notes):
            continue
        # Anything short of a clean match is checked again the slow way, on the model,
        # so a problem is named exactly as it always was.
        note = ProgressNote.objects.select_related("client").get(pk=row[0])
        if problem := _check("progress note", note, notes):
            yield problem
    yield from _gone("progress note", notes, seen)
    addenda = _chained_hashes(practice_id, "addendum.sign")
    seen = set()
    for addendum in (Addendum.objects.filter(note__client__practice_id=practice_id)
                     .select_related("note__client").iterator(chunk_size=2000)):
        seen.add(str(addendum.pk))
        if addendum.note.client_id in destroyed:
            continue
        if problem := _check("addendum", addendum, addenda):
            yield problem
    yield from _gone("addendum", addenda, seen)
    plans = _chained_hashes(practice_id, "plan.sign")
    seen = set()
    for version in _plan_versions(practice_id):
        seen.add(str(version.pk))
        if version.plan.client_id in destroyed:
            continue
        if (client := keys.client(version.plan.client_id)) is not None:
            version.plan.client = client
        if problem := _check("treatment plan version", version, plans):
            yield problem
    yield from _gone("treatment plan version", plans, seen)
    # Supervisors' co-signatures (ADR 0013) are signed records too.
    yield from cosignature_problems(practice_id, destroyed)
