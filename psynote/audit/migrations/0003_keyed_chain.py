"""Key every chain: links from now on are HMAC-SHA-256 under a key derived from the master
key (ADR 0003). Existing events keep their SHA-256 links; each existing chain gets one
keyed `audit.chain.keyed` event stating how many unkeyed events precede it and their last
link, and `keyed_from` pointing at it. Needs the master key when chains exist."""

from datetime import UTC

from django.db import migrations, models, transaction
from django.utils import timezone

from psynote.audit import anchor, chain
from psynote.lib import crypto


def key_existing_chains(apps, schema_editor):  # type: ignore[no-untyped-def]
    ChainHead = apps.get_model("audit", "ChainHead")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    at = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for head in ChainHead.objects.using(db).filter(seq__gt=0).order_by("practice_id"):
        try:
            key = chain.chain_key(head.practice_id)
        except crypto.MasterKeyMissing as missing:
            raise crypto.MasterKeyMissing(
                f"Keying the existing audit chains (migration audit 0003) needs the master "
                f"key. {missing}"
            ) from None
        seq = head.seq + 1
        values = {
            "practice_id": head.practice_id,
            "seq": seq,
            "at": at,
            "actor_id": "",
            "actor_name": "",
            "action": chain.KEYED_ACTION,
            "target_type": "audit_log",
            "target_id": "",
            "client_id": "",
            "ip": "",
            "detail": chain.keyed_statement(head.seq, bytes(head.hash)),
        }
        payload = chain.payload(values)
        digest = chain.link(bytes(head.hash), payload, key)
        AuditEvent.objects.using(db).create(
            practice_id=head.practice_id, seq=seq, payload=payload.decode(), hash=digest
        )
        ChainHead.objects.using(db).filter(practice_id=head.practice_id).update(
            seq=seq, hash=digest, keyed_from=seq
        )
        # The unkeyed prefix and its keyed successor, anchored as soon as they are committed.
        checkpoint = anchor.Head(head.practice_id, seq, digest, seq)
        transaction.on_commit(lambda h=checkpoint: anchor.write_quietly(h), using=db)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="keyed_from",
            field=models.BigIntegerField(default=1),
        ),
        # No way back: keyed events cannot be unkeyed.
        migrations.RunPython(key_existing_chains),
    ]
