"""Step 2 of 3: each authorization's and disclosure's recipient, purpose and reasons
sealed under its client's key (reversible: backward opens them into the columns again).
The disclosure log refuses UPDATE, so its triggers are off while this runs."""

from django.db import migrations

from psynote.clients.sealing import seal_columns
from psynote.lib.immutable import refuse_changes

APPEND_ONLY = refuse_changes("exchange_disclosure", "the disclosure log is append-only")
TRIGGERS_OFF = migrations.RunPython(APPEND_ONLY.reverse_code, APPEND_ONLY.code)
RECIPIENT = {"recipient_name": "text", "recipient_organisation": "text",
             "recipient_contact": "text", "purpose": "text"}


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("exchange", "0003_authorization_disclosure_facts_ct"),
    ]

    operations = [
        TRIGGERS_OFF,
        seal_columns(
            "exchange",
            "Authorization",
            RECIPIENT | {"revocation_reason": "text", "signed_form_name": "text"},
        ),
        seal_columns("exchange", "Disclosure", RECIPIENT | {"justification": "text"}),
        APPEND_ONLY,
    ]
