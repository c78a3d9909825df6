"""Step 3 of 3: the clear resolution and the separately sealed note go; resolved means
when, by whom and a sealed document, open means none of them."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0007_seal_risk_alert_resolutions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(model_name="riskalert", name="resolution"),
        migrations.RemoveField(model_name="riskalert", name="resolution_note_ct"),
        migrations.AddConstraint(
            model_name="riskalert",
            constraint=models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, resolved_by__isnull=True, facts_ct=b"")
                | models.Q(resolved_at__isnull=False, resolved_by__isnull=False)
                & ~models.Q(facts_ct=b""),
                name="risk_alert_resolution_fields_together",
            ),
        ),
    ]
