"""Step 3 of 3: the clear columns go. Each gets a default first, only so that going back
can add it again to a table that has rows (step 2 backward then fills it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clients", "0004_seal_diagnoses")]

    operations = [
        migrations.AlterField(
            model_name="diagnosis", name="code", field=models.CharField(default="", max_length=10)
        ),
        migrations.AlterField(
            model_name="diagnosis",
            name="description",
            field=models.CharField(default="", max_length=300),
        ),
        migrations.AlterModelOptions(
            name="diagnosis",
            options={"ordering": ["-is_primary", "pk"], "verbose_name_plural": "diagnoses"},
        ),
        migrations.RemoveField(model_name="diagnosis", name="code"),
        migrations.RemoveField(model_name="diagnosis", name="description"),
        migrations.RemoveField(model_name="diagnosis", name="onset_date"),
    ]
