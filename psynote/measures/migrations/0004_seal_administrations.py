"""Step 2 of 3: each administration's answers, total, band and flags sealed under its
client's key (reversible: backward opens them into the columns again)."""

from django.db import migrations

from psynote.clients.sealing import seal_columns


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("measures", "0003_administration_facts_ct"),
    ]

    operations = [
        seal_columns(
            "measures",
            "Administration",
            {"answers": "json", "total": "integer", "band": "text", "flags": "json"},
        ),
    ]
