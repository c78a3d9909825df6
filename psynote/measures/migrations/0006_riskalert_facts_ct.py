"""Step 1 of 3 sealing how a risk alert was resolved together with the clinician's note
(ADR 0002): the column for the sealed document. The check constraint on the old columns
goes now, so that going back adds it again only once step 2 has refilled them; step 3
adds its successor. All three steps are reversible."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0005_administration_clear_columns_dropped")]

    operations = [
        migrations.RemoveConstraint(
            model_name="riskalert", name="risk_alert_resolution_fields_together"
        ),
        migrations.AddField(
            model_name="riskalert",
            name="facts_ct",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
