from django.db import migrations

from psynote.lib.immutable import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        refuse_changes("audit_auditevent", "audit events are append-only"),
    ]
