"""Bundle entries with `urn:uuid:` fullUrls, references between them rewritten to those
URLs (HL7 FHIR R4 Bundle, http://hl7.org/fhir/R4/bundle.html#references: a reference in a
bundle resolves to the entry whose fullUrl it names).

The UUID is a UUID 5 of the practice and the resource's type and id, so the same record
exported twice gets the same fullUrls, and two practices' exports never collide.
Resources keep their `id`; the NDJSON exports keep `Type/id` references, as Bulk Data
files do.
"""

import uuid
from typing import Any

# A fixed namespace for Psynote's bundle UUIDs (itself a UUID 5 of the URL namespace).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:psynote:fhir-bundle")


def full_url(namespace: str, kind: str, pk: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{namespace}/{kind}/{pk}')}"


def _rewrite(value: Any, urls: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, urls) for k, v in value.items()}
        target = value.get("reference")
        if isinstance(target, str) and target in urls:
            out["reference"] = urls[target]
        return out
    if isinstance(value, list):
        return [_rewrite(v, urls) for v in value]
    return value


def entries(resources: list[dict[str, Any]], *, namespace: str) -> list[dict[str, Any]]:
    urls = {f"{r['resourceType']}/{r['id']}": full_url(namespace, r["resourceType"], r["id"])
            for r in resources}
    return [{"fullUrl": urls[f"{r['resourceType']}/{r['id']}"], "resource": _rewrite(r, urls)}
            for r in resources]
