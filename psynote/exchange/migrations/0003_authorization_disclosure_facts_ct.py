"""Step 1 of 3 sealing who receives a disclosure and why (recipient, organisation,
contact, purpose; a disclosure's justification; an authorization's revocation reason and
signed-form file name; ADR 0002): the columns for the sealed documents, and the two check
constraints rewritten without the columns that will be sealed. All three steps are
reversible.

On SQLite these schema changes rebuild the disclosure table, which drops its append-only
triggers, so they are taken down first and put back at the end.
"""

from django.db import migrations, models

from psynote.lib.immutable import refuse_changes

APPEND_ONLY = refuse_changes("exchange_disclosure", "the disclosure log is append-only")
TRIGGERS_OFF = migrations.RunPython(APPEND_ONLY.reverse_code, APPEND_ONLY.code)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_disclosure_log_append_only")]

    operations = [
        TRIGGERS_OFF,
        migrations.RemoveConstraint(
            model_name="authorization", name="authorization_revocation_fields_together"
        ),
        migrations.RemoveConstraint(model_name="disclosure", name="disclosure_basis_one_way"),
        migrations.AddField(
            model_name="authorization",
            name="facts_ct",
            field=models.BinaryField(default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="disclosure",
            name="facts_ct",
            field=models.BinaryField(default=b"", editable=False),
        ),
        migrations.AddConstraint(
            model_name="authorization",
            constraint=models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | models.Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="authorization_revocation_fields_together",
            ),
        ),
        migrations.AddConstraint(
            model_name="disclosure",
            constraint=models.CheckConstraint(
                condition=models.Q(authorization__isnull=False, exception="")
                | (models.Q(authorization__isnull=True) & ~models.Q(exception="")),
                name="disclosure_basis_one_way",
            ),
        ),
        APPEND_ONLY,
    ]
