"""Data migrations that move clear columns of a client's record into the row's sealed
facts document (`SealedUnderClient.facts_ct`, ADR 0002), and back.

Forward, each row's columns become one canonical-JSON document sealed under its client's
data key with associated data `"<table>:<row id>:facts"`, exactly what the model writes.
Rows of a record destroyed under retention (its key shredded) are sealed under a fresh key
that is thrown away at once: their facts are destroyed with the rest of the record.

Backward, the documents are opened into the columns again (the migrations are
reversible), except a destroyed record's, whose columns come back empty.

Historical models have none of the model's methods, so this works on plain rows.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import migrations

from psynote.lib import canonical_json, crypto, sealed

SHREDDED_KEY = b"shredded"  # clients.models.SHREDDED_KEY, as stored
BATCH = 500

_TO_JSON: dict[str, Callable[[Any], Any]] = {
    "text": lambda value: "" if value is None else str(value),
    "integer": int,
    "json": lambda value: value,
    "date": lambda value: value.isoformat() if value else None,
}
_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "text": lambda value: value or "",
    "integer": lambda value: value or 0,
    "json": lambda value: value if value is not None else {},
    "date": lambda value: date.fromisoformat(value) if value else None,
}


def _keys(apps: Any) -> Callable[[Any], bytes | None]:
    """client id → the client's data key (None for a destroyed record), once per client."""
    clients = apps.get_model("clients", "Client")
    found: dict[Any, bytes | None] = {}

    def key_for(client_id: Any) -> bytes | None:
        if client_id not in found:
            wrapped = bytes(clients.objects.get(pk=client_id).wrapped_key)
            found[client_id] = (
                None
                if wrapped == SHREDDED_KEY
                else crypto.unwrap(wrapped, crypto.aad_for("clients_client", client_id, "data_key"))
            )
        return found[client_id]

    return key_for


def _rows(model: Any) -> Any:
    return model.objects.order_by("pk").iterator(chunk_size=BATCH)


def seal_columns(app_label: str, model_name: str, facts: dict[str, str]) -> migrations.RunPython:
    """Fill `facts_ct` from the clear columns named in `facts` (name → "text", "integer",
    "json" or "date"), and the reverse. The columns themselves are dropped by the next
    migration, so that no engine sees data and schema change in one transaction."""

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        key_for = _keys(apps)
        table = model._meta.db_table
        batch = []
        for row in _rows(model):
            key = key_for(row.client_id) or crypto.new_key()  # destroyed: a key kept nowhere
            document = {name: _TO_JSON[kind](getattr(row, name)) for name, kind in facts.items()}
            row.facts_ct = crypto.seal(
                key, canonical_json.dumps(document), crypto.aad_for(table, row.pk, sealed.FIELD)
            )
            batch.append(row)
            if len(batch) >= BATCH:
                model.objects.bulk_update(batch, ["facts_ct"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["facts_ct"])

    def backward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        key_for = _keys(apps)
        table = model._meta.db_table
        batch = []
        for row in _rows(model):
            key = key_for(row.client_id)
            document: dict[str, Any] = {}
            if key is not None and row.facts_ct:
                aad = crypto.aad_for(table, row.pk, sealed.FIELD)
                document = canonical_json.loads(crypto.open_sealed(key, row.facts_ct, aad))
            for name, kind in facts.items():
                setattr(row, name, _FROM_JSON[kind](document.get(name)))
            batch.append(row)
            if len(batch) >= BATCH:
                model.objects.bulk_update(batch, list(facts))
                batch = []
        if batch:
            model.objects.bulk_update(batch, list(facts))

    return migrations.RunPython(forward, backward)
