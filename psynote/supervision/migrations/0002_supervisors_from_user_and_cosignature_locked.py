"""Each user's former single supervisor (`User.supervisor`, removed by accounts 0004)
becomes a supervision in review mode, the only behaviour it had: reading and nothing more.
Co-signatures are refused UPDATE and DELETE by the database, whoever writes to it."""

from django.db import migrations

from psynote.lib.immutable import refuse_changes


def copy_supervisors(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    Supervision = apps.get_model("supervision", "Supervision")
    pairs = User.objects.filter(supervisor__isnull=False).values_list("pk", "supervisor_id")
    Supervision.objects.bulk_create(
        [Supervision(supervisee_id=pk, supervisor_id=sup, mode="review")
         for pk, sup in pairs if pk != sup],
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    Supervision = apps.get_model("supervision", "Supervision")
    for row in Supervision.objects.order_by("supervisee_id", "pk"):
        User.objects.filter(pk=row.supervisee_id, supervisor__isnull=True).update(
            supervisor_id=row.supervisor_id)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("accounts", "0003_practice_npi_address"),
    ]

    operations = [
        migrations.RunPython(copy_supervisors, copy_back),
        refuse_changes("supervision_cosignature", "a co-signature never changes or goes"),
    ]
