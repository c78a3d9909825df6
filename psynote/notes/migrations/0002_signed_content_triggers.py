from django.db import migrations

from psynote.lib.immutable import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    operations = [
        refuse_changes("notes_progressnote", "a signed progress note cannot change",
                       when="OLD.signed_at IS NOT NULL"),
        refuse_changes("notes_addendum", "an addendum is signed and cannot change"),
    ]
