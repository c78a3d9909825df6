"""Step 3 of 3: the clear columns go. Each gets a default first, only so that going back
can add it again to a table that has rows (step 2 backward then fills it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0004_seal_administrations")]

    operations = [
        migrations.AlterField(
            model_name="administration",
            name="answers",
            field=models.JSONField(default=dict),
        ),
        migrations.AlterField(
            model_name="administration",
            name="total",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RemoveField(model_name="administration", name="answers"),
        migrations.RemoveField(model_name="administration", name="total"),
        migrations.RemoveField(model_name="administration", name="band"),
        migrations.RemoveField(model_name="administration", name="flags"),
    ]
