"""The migrations that seal diagnoses, measure results, risk-alert resolutions,
authorizations and disclosures (clients 0003-0005, measures 0003-0008, exchange 0003-0006):
rows written in clear before them open through the models afterwards, the clear columns
are gone and leave nothing behind in the stored bytes, a destroyed record's facts stay
unreadable, and going back restores the columns."""

import json
from datetime import date, timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from psynote import testing as t
from psynote.clients.models import Client, Diagnosis
from psynote.exchange.models import Authorization, Disclosure
from psynote.lib import crypto
from psynote.lib.tests import at_rest, triggers
from psynote.measures.models import Administration, RiskAlert

BEFORE = [
    ("clients", "0002_emergency_access"),
    ("measures", "0002_risk_alert"),
    ("exchange", "0002_disclosure_log_append_only"),
]
ANSWERS = {"1": 2, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0, "7": 1, "8": 0, "9": 0}
WORDS = {
    "diagnosis_code": "F63.2",
    "diagnosis_description": "Kleptomania",
    "band": "Mild",
    "authorization_recipient": "Dr Fictional Receiver",
    "authorization_organisation": "Imaginary Clinic",
    "authorization_contact": "1 Nowhere Lane",
    "authorization_purpose": "Continuity of care",
    "authorization_revocation": "Moved away (fictional)",
    "disclosure_recipient": "Fictional Recipient",
    "disclosure_purpose": "Treatment",
    "disclosure_justification": "Referral (fictional)",
    "risk_alert_note": "Called the client (fictional)",
}


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def _triggers_back_after_flush(django_db_blocker):
    with django_db_blocker.unblock():
        in_force = triggers.enabled_count()
    statements: list[str] = []
    yield statements
    with django_db_blocker.unblock():
        triggers.restore(statements)
        assert triggers.enabled_count() == in_force > 0


@pytest.fixture
def migrated_back(_triggers_back_after_flush, transactional_db):
    """The database as it was before the sealing migrations; forward again afterwards,
    and the disclosure log's refuse-DELETE triggers off for the flush that empties it."""
    latest = _latest()
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate(latest)
        _triggers_back_after_flush.extend(triggers.disable())


def _clear_rows(apps, alice, client, words=WORDS):  # type: ignore[no-untyped-def]
    """One row of each kind, written the way the code before the migrations wrote them
    (the risk alert's note was sealed on its own already)."""
    now = timezone.now()
    rows = {
        "diagnosis": apps.get_model("clients", "Diagnosis").objects.create(
            client_id=client.pk, code=words["diagnosis_code"],
            description=words["diagnosis_description"], onset_date=date(2024, 2, 3),
            added_by_id=alice.pk, is_primary=True,
        ),
        "administration": apps.get_model("measures", "Administration").objects.create(
            client_id=client.pk, instrument="phq9", answers=ANSWERS, total=5,
            band=words["band"], flags={"critical_items": [{"item": 9, "answer": 1}]},
            created_by_id=alice.pk,
        ),
    }
    alert = apps.get_model("measures", "RiskAlert").objects.create(
        client_id=client.pk, administration_id=rows["administration"].pk, resolved_at=now,
        resolved_by_id=alice.pk, resolution="contacted", resolution_note_ct=b"placeholder",
    )
    alert.resolution_note_ct = crypto.seal(
        client.data_key(), words["risk_alert_note"].encode(),
        crypto.aad_for("measures_riskalert", alert.pk, "resolution_note"),
    )
    alert.save()
    rows["alert"] = alert
    rows["authorization"] = apps.get_model("exchange", "Authorization").objects.create(
        client_id=client.pk, recipient_name=words["authorization_recipient"],
        recipient_organisation=words["authorization_organisation"],
        recipient_contact=words["authorization_contact"],
        purpose=words["authorization_purpose"], expires_on=date.today() + timedelta(days=30),
        scope_diagnoses=True, signed_on_screen_name="Avery", signed_on_screen_at=now,
        revoked_at=now, revoked_by_id=alice.pk,
        revocation_reason=words["authorization_revocation"], created_by_id=alice.pk,
    )
    rows["disclosure"] = apps.get_model("exchange", "Disclosure").objects.create(
        client_id=client.pk, recipient_name=words["disclosure_recipient"],
        purpose=words["disclosure_purpose"], scope=["diagnoses"], exception="treatment",
        justification=words["disclosure_justification"], format="pdf", package_name="p.zip",
        package_sha256="0" * 64, by_id=alice.pk,
    )
    return rows


def test_sealing_migrations_seal_existing_rows_and_go_back(migrated_back):
    practice = t.make_practice()
    alice = t.make_user(practice, "alice")
    client = t.make_client(alice, diagnosis=None)
    gone = t.make_client(alice, last_name="Destroyed", diagnosis=None)
    apps = migrated_back.loader.project_state(BEFORE).apps
    rows = _clear_rows(apps, alice, client)
    gone_diagnosis = apps.get_model("clients", "Diagnosis").objects.create(
        client_id=gone.pk, code="F41.1", description="Generalized anxiety disorder",
        added_by_id=alice.pk,
    )
    key_before_destruction = gone.data_key()
    Client.objects.filter(pk=gone.pk).update(wrapped_key=b"shredded")

    _migrate(_latest())
    diagnosis = Diagnosis.objects.get(pk=rows["diagnosis"].pk)
    assert (diagnosis.code, diagnosis.description, diagnosis.onset_date) == (
        "F63.2", "Kleptomania", date(2024, 2, 3))
    assert bytes(diagnosis.facts_ct)[:1] == b"\x01"
    administration = Administration.objects.get(pk=rows["administration"].pk)
    assert (administration.answers, administration.total, administration.band) == (
        ANSWERS, 5, "Mild")
    alert = RiskAlert.objects.get(pk=rows["alert"].pk)
    assert alert.resolution == "contacted"
    assert alert.resolution_note() == "Called the client (fictional)"
    assert alert.get_resolution_display().startswith("Client contacted")
    authorization = Authorization.objects.get(pk=rows["authorization"].pk)
    assert authorization.recipient_display == "Dr Fictional Receiver, Imaginary Clinic"
    assert authorization.revocation_reason == "Moved away (fictional)"
    assert authorization.purpose == "Continuity of care"
    disclosure = Disclosure.objects.get(pk=rows["disclosure"].pk)
    assert (disclosure.justification, disclosure.purpose) == ("Referral (fictional)", "Treatment")
    # A destroyed record's facts are sealed under a key that was never kept: not even the
    # key the client had before the destruction opens them.
    shredded = Diagnosis.objects.get(pk=gone_diagnosis.pk)
    assert shredded.code == "" and shredded.facts_shredded
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(key_before_destruction, shredded.facts_ct, shredded._facts_aad())

    back = _migrate(BEFORE).loader.project_state(BEFORE).apps
    old = back.get_model("clients", "Diagnosis").objects.get(pk=rows["diagnosis"].pk)
    assert (old.code, old.description, old.onset_date) == ("F63.2", "Kleptomania", date(2024, 2, 3))
    old = back.get_model("measures", "Administration").objects.get(pk=rows["administration"].pk)
    assert (old.answers, old.total, old.band) == (ANSWERS, 5, "Mild")
    assert old.flags == {"critical_items": [{"item": 9, "answer": 1}]}
    old = back.get_model("measures", "RiskAlert").objects.get(pk=rows["alert"].pk)
    assert old.resolution == "contacted"
    note = crypto.open_sealed(client.data_key(), old.resolution_note_ct,
                              crypto.aad_for("measures_riskalert", old.pk, "resolution_note"))
    assert note == b"Called the client (fictional)"
    old = back.get_model("exchange", "Disclosure").objects.get(pk=rows["disclosure"].pk)
    assert old.recipient_name == "Fictional Recipient"
    assert old.justification == "Referral (fictional)"
    old = back.get_model("exchange", "Authorization").objects.get(pk=rows["authorization"].pk)
    assert old.revocation_reason == "Moved away (fictional)"
    assert back.get_model("clients", "Diagnosis").objects.get(pk=gone_diagnosis.pk).code == ""


# --- an upgraded database keeps no clear fact in its stored bytes --------------------------

MARKED_TEXT = (
    "authorization_recipient", "authorization_organisation", "authorization_contact",
    "authorization_purpose", "authorization_revocation", "disclosure_recipient",
    "disclosure_purpose", "disclosure_justification", "risk_alert_note", "control",
)


def _markers() -> dict[str, str]:
    return {place: f"ZEBRA{uuid4().hex}" for place in MARKED_TEXT} | {
        "diagnosis_code": "F63.2",
        "diagnosis_description": "Kleptomania",
        "band": "Moderately severe",
        "answers": '"1": 2, "2": 1, "3": 0',
        "critical_item": "critical_items",
    }


def write_clear_record(markers: dict[str, str]) -> None:
    """On a database migrated back to before the sealing: a client (the control marker in
    the address) and their rows in clear, as the code before wrote them."""
    practice = t.make_practice()
    alice = t.make_user(practice, f"alice{uuid4().hex[:8]}")
    client = t.make_client(
        alice, diagnosis=None, address=f"1 Control Street {markers['control']}"
    )
    apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    _clear_rows(apps, alice, client, markers | {"band": markers["band"]})


_WRITER = """
import json, os, sys
import django
django.setup()
from psynote.clients.tests.test_sealing_migrations import write_clear_record
write_clear_record(json.loads(sys.argv[1]))
os._exit(0)  # as a running server would leave it: the newest pages in the -wal file
"""


def test_an_upgraded_database_keeps_no_clear_fact_in_its_columns(migrated_back):
    markers = _markers()
    write_clear_record(markers)
    assert "diagnosis_code" in at_rest.found_in(at_rest.every_column_as_text(), markers)
    _migrate(_latest())
    assert at_rest.found_in(at_rest.every_column_as_text(), markers) == {"control"}
    if connection.vendor == "postgresql":  # the server's own dump, as a backup would hold it
        assert at_rest.found_in(at_rest.pg_dump_text(), markers) == {"control"}


def test_an_upgraded_sqlite_file_keeps_no_clear_fact(tmp_path):
    """The embedded database's files, -wal included, after the upgrade a running server
    left behind (always SQLite, whichever engine the suite runs on)."""
    markers = _markers()
    were_clear = set(markers) - {"risk_alert_note"}  # sealed on its own already
    home, env = at_rest.data_folder(tmp_path)
    at_rest.run_python(["manage.py", "migrate", "--noinput"], env)
    for app, name in BEFORE:
        at_rest.run_python(["manage.py", "migrate", app, name, "--noinput"], env)
    at_rest.run_python(["-c", _WRITER, json.dumps(markers)], env)
    files = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert at_rest.found_in(files, markers) == were_clear, "the rows were not in clear"

    at_rest.run_python(["manage.py", "migrate", "--noinput"], env)
    at_rest.assert_only_control_in_files(home, markers, wal_expected=False)
