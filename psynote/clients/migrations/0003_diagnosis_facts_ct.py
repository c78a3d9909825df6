"""Step 1 of 3 sealing a diagnosis's code, description and onset date (ADR 0002): the
column for the sealed document. Steps 2 (data) and 3 (dropping the clear columns) follow;
all three are reversible."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_emergency_access")]

    operations = [
        migrations.AddField(
            model_name="diagnosis",
            name="facts_ct",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
