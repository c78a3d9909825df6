"""The package's files for each export format (FHIR Bundle, FHIR NDJSON, PDF), and the
psychotherapy notes' own document.

Format builders receive the scope without psychotherapy notes: those never enter FHIR
resources or the PDF record; when authorised, they travel as their own document in the
package (`psychotherapy-notes.json` and `.txt`).
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from psynote.clients.models import Client
from psynote.exchange import selection
from psynote.exchange.grants import DateRange, Grant
from psynote.exchange.models import Disclosure
from psynote.lib import canonical_json


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A builder another part of Psynote provides, or None while it does not exist yet."""
    import importlib

    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            return None
        raise
    return getattr(found, name, None)


def _json_file(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _ndjson_files(output: Any) -> dict[str, bytes]:
    """Resource type → resources (or file name → bytes/text) as the package's files."""
    if not isinstance(output, Mapping):
        raise TypeError("client_ndjson must return a mapping of files")
    files: dict[str, bytes] = {}
    for key, value in output.items():
        if isinstance(value, bytes | str):
            body = value.encode() if isinstance(value, str) else value
            files[key if "." in key else f"{key}.ndjson"] = body
        elif isinstance(value, dict):
            files[key if "." in key else f"{key}.json"] = _json_file(value)
        else:
            lines = [canonical_json.dumps(resource) for resource in value]
            files[f"{key}.ndjson"] = b"".join(line + b"\n" for line in lines)
    return files


def _fhir_bundle(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.fhir.build", "client_bundle")
    if builder is None:
        return None
    return {"bundle.json": _json_file(builder(client, scope, date_range))}


def _fhir_ndjson(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.fhir.build", "client_ndjson")
    if builder is None:
        return None
    return _ndjson_files(builder(client, scope, date_range))


def _pdf(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.pdf", "client_pdf")
    if builder is None:
        return None
    recipient = ", ".join(
        part for part in (grant.recipient_name, grant.recipient_organisation) if part
    )
    pdf = builder(client, scope, date_range, recipient=recipient, purpose=grant.purpose)
    return {"record.pdf": pdf}


BUILDERS: dict[str, Callable[..., dict[str, bytes] | None]] = {
    Disclosure.Format.FHIR_BUNDLE: _fhir_bundle,
    Disclosure.Format.FHIR_NDJSON: _fhir_ndjson,
    Disclosure.Format.PDF: _pdf,
}
BUILDER_SOURCES = {
    Disclosure.Format.FHIR_BUNDLE: ("psynote.exchange.fhir.build", "client_bundle"),
    Disclosure.Format.FHIR_NDJSON: ("psynote.exchange.fhir.build", "client_ndjson"),
    Disclosure.Format.PDF: ("psynote.exchange.pdf", "client_pdf"),
}


def available_formats() -> list[str]:
    return [
        fmt
        for fmt, (module, name) in BUILDER_SOURCES.items()
        if _optional(module, name) is not None
    ]


def psychotherapy_files(by: Any, client: Client, date_range: DateRange) -> dict[str, bytes]:
    notes = list(selection.psychotherapy_notes(by, client, date_range))
    document = {
        "kind": "psychotherapy_notes",
        "note": "Psychotherapy notes (45 CFR 164.501), disclosed under an authorization "
        "naming them alone or an exception that permits them. Kept apart from the "
        "medical record.",
        "client": {
            "name": f"{client.first_name} {client.last_name}",
            "date_of_birth": client.date_of_birth.isoformat(),
        },
        "author": by.signature_name,
        "notes": [
            {
                "id": str(n.pk),
                "session_date": n.session.date.isoformat() if n.session else None,
                "written_at": timezone.localtime(n.created_at).isoformat(),
                "updated_at": timezone.localtime(n.updated_at).isoformat(),
                "body": n.body(),
            }
            for n in notes
        ],
    }
    lines = [
        "PSYCHOTHERAPY NOTES",
        "",
        f"Client: {document['client']['name']} (born {document['client']['date_of_birth']})",
        f"Author: {by.signature_name}",
        "",
    ]
    for entry in document["notes"]:
        lines += [f"--- {entry['session_date'] or entry['written_at'][:10]} ---", entry["body"], ""]
    return {
        "psychotherapy-notes.json": _json_file(document),
        "psychotherapy-notes.txt": "\n".join(lines).encode(),
    }

