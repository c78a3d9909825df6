from django.db import migrations

from psynote.lib.immutable import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("hours", "0001_hour_logs")]

    operations = [
        refuse_changes("hours_entry", "a confirmed hour entry cannot change",
                       when="OLD.confirmed_at IS NOT NULL"),
        refuse_changes("hours_report", "a signed hours report cannot change"),
    ]
