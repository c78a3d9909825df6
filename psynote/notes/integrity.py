"""Checking every signed note, addendum and treatment-plan version against its hash and
the audit chain.

A signed record is intact when its ciphertext opens under its own row's associated data
(so it was neither edited nor swapped with another row's), the SHA-256 of what it says
equals the stored content hash, and that hash equals the one the audit chain recorded
when it was signed.
"""

import itertools
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import F

from psynote.audit.models import AuditEvent
from psynote.lib import canonical_json
from psynote.lib.crypto import DecryptionError
from psynote.lib.integrity import Problem
from psynote.notes import signed_notes
from psynote.notes.models import Addendum, ProgressNote
from psynote.plans import models as plans
from psynote.plans.models import PlanVersion
from psynote.supervision.integrity import cosignature_problems

# The audit events that vouch for a signed record: the hash each recorded, by record.
SIGNINGS = ("note.sign", "addendum.sign", "plan.sign", "note.cosign")
CONFIRMED_DESTRUCTION = "destruction.confirm"


def _chained(practice_id: int, actions: tuple[str, ...] = (*SIGNINGS, CONFIRMED_DESTRUCTION),
             ) -> dict[str, dict[str, str]]:
    """Per action of `SIGNINGS`, the content hash the chain recorded for each record, and
    under `CONFIRMED_DESTRUCTION` the destructions it confirmed: one read of the log."""
    chained: dict[str, dict[str, str]] = {action: {} for action in actions}
    # `practice_id + 0` keeps SQLite off the (practice, seq) index, which would have it
    # read every event of the practice, for the index on the action.
    rows = (AuditEvent.objects.alias(practice=F("practice_id") + 0)
            .filter(practice=practice_id, action__in=list(chained)).order_by("seq")
            .values_list("action", "target_id", "detail"))
    for action, target, detail in rows:
        if action == CONFIRMED_DESTRUCTION:
            chained[action][target] = ""
        else:  # in the order of the chain: a record's latest signing counts
            chained[action][target] = canonical_json.loads(detail).get("content_hash", "")
    return chained


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


# A plan version's structure is four lists of items (`PlanVersion.structure`), and of
# each item it reads these values only.
_PLAN_ITEMS = {
    "problems": (plans.Problem, ("pk", "key", "diagnosis_id", "diagnosis_code")),
    "goals": (plans.Goal, ("pk", "key", "problem_id")),
    "objectives": (plans.Objective, ("key", "target_date", "status", "goal_id")),
    "interventions": (plans.PlanIntervention, ("key", "responsible_user_id", "problem_id")),
}


def _plan_versions(practice_id: int, batch: int = 2000) -> Iterator[PlanVersion]:
    """The practice's signed plan versions with their items, four queries per `batch`
    versions rather than four per version. The items go where `prefetch_related` puts
    them, grouped here instead of through a queryset per version and list, which cost
    more than the queries; and as rows of the values the structure reads, converted as
    the model converts them, rather than model instances, which cost more again."""
    versions = (PlanVersion.objects.signed().filter(plan__client__practice_id=practice_id)
                .select_related("plan").iterator(chunk_size=batch))
    while chunk := list(itertools.islice(versions, batch)):
        ids = [version.pk for version in chunk]
        for name, (model, fields) in _PLAN_ITEMS.items():
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for item in (model.objects.filter(version_id__in=ids)  # in `position` order
                         .values_list("version_id", *fields, named=True)):
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

    confirmed = _chained(practice_id, (CONFIRMED_DESTRUCTION,))[CONFIRMED_DESTRUCTION]
    destroyed, _ = _destroyed_clients(practice_id, confirmed)
    done = (Destruction.objects.filter(client__practice_id=practice_id, status="done",
                                       client_id__in=destroyed)
            .order_by("confirmed_at"))
    return [f"client {d.client_id}: destroyed on {d.confirmed_at:%Y-%m-%d} under retention, "
            f"tombstone #{d.pk}" for d in done]


def _destroyed_clients(practice_id: int,
                       confirmed: dict[str, str]) -> tuple[set[object], list[Problem]]:
    """Clients whose records may be skipped, and tombstones that do not hold up.

    A tombstone counts only when the client's key really is shredded and the audit chain
    records the destruction's confirmation: a row written behind the application's back
    (a "done" tombstone over a live key) must not make verify look away from a record."""
    from psynote.clients.models import SHREDDED_KEY
    from psynote.records.models import Destruction

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
    chained = _chained(practice_id)
    destroyed, tombstone_problems = _destroyed_clients(practice_id,
                                                       chained[CONFIRMED_DESTRUCTION])
    yield from tombstone_problems
    notes = chained["note.sign"]
    seen: set[str] = set()
    ciphers = signed_notes.ClientCiphers(practice_id)
    skipped = {str(client_id) for client_id in destroyed}
    for row in signed_notes.rows(practice_id):
        seen.add(row[0])
        if row[1] in skipped or signed_notes.holds(row, ciphers, notes):
            continue
        # Anything short of a clean match is checked again the slow way, on the model,
        # so a problem is named exactly as it always was.
        note = ProgressNote.objects.select_related("client").get(pk=row[-1])
        if problem := _check("progress note", note, notes):
            yield problem
    yield from _gone("progress note", notes, seen)
    addenda = chained["addendum.sign"]
    seen = set()
    for addendum in (Addendum.objects.filter(note__client__practice_id=practice_id)
                     .select_related("note__client").iterator(chunk_size=2000)):
        seen.add(str(addendum.pk))
        if addendum.note.client_id in destroyed:
            continue
        if problem := _check("addendum", addendum, addenda):
            yield problem
    yield from _gone("addendum", addenda, seen)
    plans = chained["plan.sign"]
    seen = set()
    for version in _plan_versions(practice_id):
        seen.add(str(version.pk))
        if version.plan.client_id in destroyed:
            continue
        if (client := ciphers.client(version.plan.client_id)) is not None:
            version.plan.client = client
        if problem := _check("treatment plan version", version, plans):
            yield problem
    yield from _gone("treatment plan version", plans, seen)
    # Supervisors' co-signatures (ADR 0013) are signed records too.
    yield from cosignature_problems(practice_id, destroyed, chained["note.cosign"])
