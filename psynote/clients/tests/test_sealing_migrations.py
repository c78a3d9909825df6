"""The migrations that seal diagnoses, measure results, authorizations and disclosures
(clients 0002-0004, measures 0003-0005, exchange 0003-0005): rows written in clear before
them open through the models afterwards, the clear columns are gone, a destroyed record's
facts stay unreadable, and going back restores the columns."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from psynote import testing as t
from psynote.clients.models import Client, Diagnosis
from psynote.exchange.models import Authorization, Disclosure
from psynote.lib import crypto
from psynote.lib.tests import triggers
from psynote.measures.models import Administration

BEFORE = [
    ("clients", "0001_initial"),
    ("measures", "0002_risk_alert"),
    ("exchange", "0002_disclosure_log_append_only"),
]
ANSWERS = {"1": 2, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0, "7": 1, "8": 0, "9": 0}


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


def _clear_rows(apps, alice, client):  # type: ignore[no-untyped-def]
    """One row of each kind, written the way the code before the migrations wrote them."""
    now = timezone.now()
    rows = {
        "diagnosis": apps.get_model("clients", "Diagnosis").objects.create(
            client_id=client.pk, code="F63.2", description="Kleptomania",
            onset_date=date(2024, 2, 3), added_by_id=alice.pk, is_primary=True,
        ),
        "administration": apps.get_model("measures", "Administration").objects.create(
            client_id=client.pk, instrument="phq9", answers=ANSWERS, total=5, band="Mild",
            flags={"screens": {}}, created_by_id=alice.pk,
        ),
    }
    authorization = apps.get_model("exchange", "Authorization").objects.create(
        client_id=client.pk, recipient_name="Dr Fictional Receiver",
        recipient_organisation="Imaginary Clinic", recipient_contact="1 Nowhere Lane",
        purpose="Continuity of care", expires_on=date.today() + timedelta(days=30),
        scope_diagnoses=True, signed_on_screen_name="Avery", signed_on_screen_at=now,
        revoked_at=now, revoked_by_id=alice.pk, revocation_reason="Moved away (fictional)",
        created_by_id=alice.pk,
    )
    rows["authorization"] = authorization
    rows["disclosure"] = apps.get_model("exchange", "Disclosure").objects.create(
        client_id=client.pk, recipient_name="Fictional Recipient", purpose="Treatment",
        scope=["diagnoses"], exception="treatment", justification="Referral (fictional)",
        format="pdf", package_name="p.zip", package_sha256="0" * 64, by_id=alice.pk,
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
    assert (old.answers, old.total, old.band, old.flags) == (ANSWERS, 5, "Mild", {"screens": {}})
    old = back.get_model("exchange", "Disclosure").objects.get(pk=rows["disclosure"].pk)
    assert old.recipient_name == "Fictional Recipient"
    assert old.justification == "Referral (fictional)"
    old = back.get_model("exchange", "Authorization").objects.get(pk=rows["authorization"].pk)
    assert old.revocation_reason == "Moved away (fictional)"
    assert back.get_model("clients", "Diagnosis").objects.get(pk=gone_diagnosis.pk).code == ""
