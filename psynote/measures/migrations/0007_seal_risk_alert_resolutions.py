"""Step 2 of 3: each resolved alert's resolution (clear until now) and its note (sealed
alone until now, associated data "measures_riskalert:<id>:resolution_note") become one
document sealed under the client's key ("measures_riskalert:<id>:facts"). Reversible.
A destroyed record's note could not be opened any more; its resolution is sealed under a
key nobody keeps."""

from typing import Any

from django.db import migrations

from psynote.clients.sealing import SHREDDED_KEY
from psynote.lib import canonical_json, crypto, sealed

TABLE = "measures_riskalert"


def _key(apps: Any, client_id: Any, found: dict[Any, bytes | None]) -> bytes | None:
    if client_id not in found:
        wrapped = bytes(apps.get_model("clients", "Client").objects.get(pk=client_id).wrapped_key)
        found[client_id] = None if wrapped == SHREDDED_KEY else crypto.unwrap(
            wrapped, crypto.aad_for("clients_client", client_id, "data_key"))
    return found[client_id]


def forward(apps: Any, schema_editor: Any) -> None:
    alerts = apps.get_model("measures", "RiskAlert")
    keys: dict[Any, bytes | None] = {}
    for alert in alerts.objects.filter(resolved_at__isnull=False).order_by("pk").iterator():
        key = _key(apps, alert.client_id, keys)
        note = ""
        if key is not None:
            note = crypto.open_sealed(key, alert.resolution_note_ct,
                                      crypto.aad_for(TABLE, alert.pk, "resolution_note")).decode()
        document = {"resolution": alert.resolution, "note": note}
        alerts.objects.filter(pk=alert.pk).update(facts_ct=crypto.seal(
            key or crypto.new_key(), canonical_json.dumps(document),
            crypto.aad_for(TABLE, alert.pk, sealed.FIELD)))


def backward(apps: Any, schema_editor: Any) -> None:
    alerts = apps.get_model("measures", "RiskAlert")
    keys: dict[Any, bytes | None] = {}
    for alert in alerts.objects.filter(resolved_at__isnull=False).order_by("pk").iterator():
        key = _key(apps, alert.client_id, keys)
        document = {"resolution": "", "note": ""}
        if key is not None:
            document = canonical_json.loads(crypto.open_sealed(
                key, alert.facts_ct, crypto.aad_for(TABLE, alert.pk, sealed.FIELD)))
        # A destroyed record: the category is gone too; the old constraint needs one.
        resolution = document["resolution"] or "entered_in_error"
        note_ct = crypto.seal(key or crypto.new_key(), document["note"].encode(),
                              crypto.aad_for(TABLE, alert.pk, "resolution_note"))
        alerts.objects.filter(pk=alert.pk).update(resolution=resolution,
                                                  resolution_note_ct=note_ct)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial"), ("measures", "0006_riskalert_facts_ct")]

    operations = [migrations.RunPython(forward, backward)]
