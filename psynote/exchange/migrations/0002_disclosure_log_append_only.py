from django.db import migrations

from psynote.lib.immutable import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [
        refuse_changes("exchange_disclosure", "the disclosure log is append-only"),
    ]
