"""After the sealing migrations of clients, measures and exchange: the clear values of the
dropped columns would otherwise stay in the database's free pages (and SQLite's
write-ahead log) until overwritten, so the storage is rewritten now. One-way by nature
(going back has nothing to restore) and harmless to repeat. Backups taken before the
upgrade still hold the clear values (docs/operations.md, Upgrading)."""

from django.db import migrations

from psynote.lib.sealed import forget_dropped_columns


class Migration(migrations.Migration):
    atomic = False  # neither engine vacuums inside a transaction

    dependencies = [
        ("clients", "0005_diagnosis_clear_columns_dropped"),
        ("measures", "0008_risk_alert_clear_columns_dropped"),
        ("exchange", "0005_authorization_disclosure_clear_columns_dropped"),
    ]

    operations = [
        forget_dropped_columns(
            "clients_diagnosis",
            "measures_administration",
            "measures_riskalert",
            "exchange_authorization",
            "exchange_disclosure",
        ),
    ]
