"""Step 1 of 3 sealing what a client answered and how it scored (answers, total, band,
flags; ADR 0002): the column for the sealed document. All three steps are reversible."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_risk_alert")]

    operations = [
        migrations.AddField(
            model_name="administration",
            name="facts_ct",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
