"""Checking the disclosure log against the audit chain.

The disclosure log is a legal record (45 CFR 164.528 accounting, kept six years), so
`psynote verify` checks each row against the `disclosure.create` event written in the same
transaction: the package's SHA-256, format, scope and record count must be what the chain
says, and every disclosure the chain remembers must still be in the log.
"""

from collections.abc import Iterator

from psynote.audit.models import AuditEvent
from psynote.exchange.models import Disclosure
from psynote.lib import canonical_json
from psynote.lib.integrity import Problem


def _chained(practice_id: int) -> dict[str, dict]:
    rows = AuditEvent.objects.filter(practice_id=practice_id,
                                     action="disclosure.create").values_list("target_id",
                                                                             "detail")
    return {target: canonical_json.loads(detail) for target, detail in rows}


def disclosure_problems(practice_id: int) -> Iterator[Problem]:
    chained = _chained(practice_id)
    seen: set[str] = set()
    for disclosure in (Disclosure.objects.filter(client__practice_id=practice_id)
                       .only("pk", "package_sha256", "format", "scope", "record_count")
                       .iterator(chunk_size=2000)):
        key = str(disclosure.pk)
        seen.add(key)
        event = chained.get(key)
        if event is None:
            yield Problem("disclosure", key, "it is in the log, but the audit chain never "
                                             "recorded it")
            continue
        facts = (disclosure.package_sha256, disclosure.format, sorted(disclosure.scope),
                 disclosure.record_count)
        recorded = (event.get("package_sha256"), event.get("format"),
                    sorted(event.get("scope", [])), event.get("records"))
        if facts != recorded:
            yield Problem("disclosure", key, "its package hash, format, scope or record "
                                             "count differs from the audit chain's")
    for key in sorted(set(chained) - seen):
        yield Problem("disclosure", key, "the audit chain records it, but it is missing "
                                         "from the disclosure log")
