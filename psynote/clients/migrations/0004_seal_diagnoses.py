"""Step 2 of 3: each diagnosis's code, description and onset date sealed under its
client's key (reversible: backward opens them into the columns again)."""

from django.db import migrations

from psynote.clients.sealing import seal_columns


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_diagnosis_facts_ct")]

    operations = [
        seal_columns(
            "clients", "Diagnosis", {"code": "text", "description": "text", "onset_date": "date"}
        ),
    ]
