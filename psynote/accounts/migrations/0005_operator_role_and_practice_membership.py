"""The installation's operator role, and every other user in exactly one practice
(ADR 0017)."""

from django.db import migrations, models


def park_users_without_practice(apps, schema_editor):
    """A user with no practice could reach nothing before (every access function needs
    one). They become deactivated operators: kept, so their name stays on what they did,
    and still able to do nothing until someone at the server reactivates them."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(practice__isnull=True).exclude(role="operator").update(
        role="operator", is_active=False)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_supervisor_moved_to_supervision'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='user',
            name='user_role_valid',
        ),
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(choices=[('clinician', 'Clinician'), ('supervisor', 'Supervisor'), ('admin', 'Practice admin'), ('frontdesk', 'Front desk'), ('privacy', 'Privacy officer'), ('operator', 'Operator')], default='clinician', max_length=20),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('role__in', ['clinician', 'supervisor', 'admin', 'frontdesk', 'privacy', 'operator'])), name='user_role_valid'),
        ),
        migrations.RunPython(park_users_without_practice, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('practice__isnull', True), ('role', 'operator')), models.Q(models.Q(('role', 'operator'), _negated=True), ('practice__isnull', False)), _connector='OR'), name='user_practice_unless_operator'),
        ),
    ]
