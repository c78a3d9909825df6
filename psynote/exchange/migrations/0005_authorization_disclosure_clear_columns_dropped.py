"""Step 3 of 3: the clear columns go. The required ones get a default first, only so that
going back can add them again to tables that have rows (step 2 backward then fills them).
The disclosure table's append-only triggers are taken down and put back around it."""

from django.db import migrations, models

from psynote.lib.immutable import refuse_changes

APPEND_ONLY = refuse_changes("exchange_disclosure", "the disclosure log is append-only")
TRIGGERS_OFF = migrations.RunPython(APPEND_ONLY.reverse_code, APPEND_ONLY.code)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0004_seal_authorizations_disclosures")]

    operations = [
        TRIGGERS_OFF,
        migrations.AlterField(
            model_name="authorization",
            name="recipient_name",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.AlterField(
            model_name="authorization", name="purpose", field=models.TextField(default="")
        ),
        migrations.AlterField(
            model_name="disclosure",
            name="recipient_name",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.AlterField(
            model_name="disclosure", name="purpose", field=models.TextField(default="")
        ),
        migrations.RemoveField(model_name="authorization", name="recipient_name"),
        migrations.RemoveField(model_name="authorization", name="recipient_organisation"),
        migrations.RemoveField(model_name="authorization", name="recipient_contact"),
        migrations.RemoveField(model_name="authorization", name="purpose"),
        migrations.RemoveField(model_name="authorization", name="revocation_reason"),
        migrations.RemoveField(model_name="authorization", name="signed_form_name"),
        migrations.RemoveField(model_name="disclosure", name="recipient_name"),
        migrations.RemoveField(model_name="disclosure", name="recipient_organisation"),
        migrations.RemoveField(model_name="disclosure", name="recipient_contact"),
        migrations.RemoveField(model_name="disclosure", name="purpose"),
        migrations.RemoveField(model_name="disclosure", name="justification"),
        APPEND_ONLY,
    ]
