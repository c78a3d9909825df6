"""`psynote verify` for co-signatures: each one hashes to its stored content hash, vouches
for its note's signed hash, and matches the hash the audit chain recorded (`note.cosign`);
a co-signature the chain records but the table lost is reported too."""

from collections.abc import Iterator

from psynote.lib.integrity import Problem
from psynote.supervision.models import Cosignature

KIND = "co-signature"


def cosignature_problems(practice_id: int, skip_clients: set[object],
                         chained: dict[str, str]) -> Iterator[Problem]:
    """`chained`: the hash the chain recorded per note (`note.cosign`), read by the caller
    with the other signings in one pass over the log."""
    seen: set[str] = set()
    for signature in (Cosignature.objects.filter(note__client__practice_id=practice_id)
                      .select_related("note").iterator(chunk_size=2000)):
        note_id = str(signature.note_id)
        seen.add(note_id)
        if signature.note.client_id in skip_clients:
            continue
        if signature.compute_hash() != signature.content_hash:
            yield Problem(KIND, note_id, "it no longer matches its signed hash")
        elif signature.note_hash != signature.note.content_hash:
            yield Problem(KIND, note_id, "it vouches for another version of the note")
        elif chained.get(note_id) != signature.content_hash:
            yield Problem(KIND, note_id, "its hash differs from the one in the audit chain")
    for note_id in sorted(set(chained) - seen):
        yield Problem(KIND, note_id, "the audit chain records it, but it is missing")
