"""Psychotherapy-note keys sealed to their author (ADR 0009).

A migration cannot know passwords, so an existing key stays wrapped by the master key alone
(renamed `legacy_wrapped`) until its author's next sign-in re-seals it under their password.
So that nothing an administrator sets after the upgrade can open it, the hash of the
password each author has now is copied beside it: the legacy key opens only for that
password.
"""

from django.db import migrations, models
from django.utils import timezone


def remember_password_hashes(apps, schema_editor):
    PsychotherapyKey = apps.get_model("notes", "PsychotherapyKey")
    for row in PsychotherapyKey.objects.select_related("user"):
        row.legacy_password_hash = row.user.password or ""
        row.save(update_fields=["legacy_password_hash"])


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_signed_content_triggers")]

    operations = [
        migrations.RenameField("psychotherapykey", "wrapped_key", "legacy_wrapped"),
        migrations.AlterField(
            "psychotherapykey", "legacy_wrapped", models.BinaryField(blank=True, default=b"")
        ),
        migrations.AddField(
            "psychotherapykey", "legacy_password_hash", models.CharField(blank=True, max_length=256)
        ),
        migrations.AddField(
            "psychotherapykey", "password_wrapped", models.BinaryField(blank=True, default=b"")
        ),
        migrations.AddField(
            "psychotherapykey", "password_salt", models.BinaryField(blank=True, default=b"")
        ),
        migrations.AddField(
            "psychotherapykey", "password_kdf", models.CharField(blank=True, max_length=100)
        ),
        migrations.AddField(
            "psychotherapykey", "recovery_wrapped", models.BinaryField(blank=True, default=b"")
        ),
        migrations.AddField(
            "psychotherapykey", "recovery_salt", models.BinaryField(blank=True, default=b"")
        ),
        migrations.AddField(
            "psychotherapykey", "recovery_made_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "psychotherapykey", "sealed_since", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "psychotherapykey", "created_at", models.DateTimeField(default=timezone.now)
        ),
        migrations.RunPython(remember_password_hashes, migrations.RunPython.noop),
    ]
