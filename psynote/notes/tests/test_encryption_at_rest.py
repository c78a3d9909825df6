"""Clinical content never reaches the database in clear (ADR 0002, envelope encryption).

A record is written with a unique marker word in every free-text place (sections, mental
status, risk block, late-entry reason, addendum, psychotherapy note, text overwritten in a
draft, and an emergency access's reason and review comment; an authorization's recipient,
purpose, revocation reason and form name; a disclosure's recipient, purpose and
justification; a risk alert's resolution note), and with coded facts that occur nowhere
else (a diagnosis's code and description, a questionnaire's answers, band and critical
item), then the stored bytes are searched for those words:

- SQLite: a real data folder, written by a separate process the way the server writes it
  (WAL mode), so both the database file and its -wal file can be read raw, before and
  after a checkpoint. (The test database itself lives in memory and has no file.)
- PostgreSQL: the committed test database, read back through `pg_dump` and through every
  column of every table cast to text.

A control marker is written where clear text is expected (the client's address), so that a
search that finds nothing is known to be able to find something. Totals are numbers no
search can find: `test_sealed_facts_have_no_clear_column` shows there is no column left
that could hold them.
"""

import json
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from django.db import connection
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import Role
from psynote.clients import actions as client_actions
from psynote.clients import emergency
from psynote.clients.models import Diagnosis
from psynote.exchange import actions as exchange_actions
from psynote.exchange import gate
from psynote.exchange.models import Authorization, Disclosure
from psynote.lib import crypto
from psynote.lib.tests import at_rest, triggers
from psynote.measures import actions as measure_actions
from psynote.measures.models import Administration, RiskAlert
from psynote.notes import actions
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote

SECRET_PLACES = (
    "old_draft",
    "subjective",
    "plan",
    "mse",
    "si_plan",
    "safety_plan",
    "interventions_other",
    "late_reason",
    "addendum",
    "psychotherapy",
    "old_psychotherapy",
    "emergency_reason",
    "emergency_review",
    "authorization_recipient",
    "authorization_organisation",
    "authorization_contact",
    "authorization_purpose",
    "authorization_revocation",
    "authorization_form_name",
    "disclosure_recipient",
    "disclosure_organisation",
    "disclosure_contact",
    "disclosure_purpose",
    "disclosure_justification",
    "risk_alert_note",
)

# Coded facts chosen to occur nowhere else in the database: F63.2 and its description
# from the shipped ICD-10-CM table, PHQ-9 answers in both JSON spellings the engines
# store (compact and Python's default), the band those answers score to (17), and the
# flag a positive item 9 raises.
PHQ9_ANSWERS = {1: 3, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 1, 9: 1}
CODED = {
    "diagnosis_code": "F63.2",
    "diagnosis_description": "Kleptomania",
    "answers_compact": '"1":3,"2":2,"3":2,"4":2',
    "answers_spaced": '"1": 3, "2": 2, "3": 2, "4": 2',
    "band": "Moderately severe",
    "critical_item": "critical_items",
}


def new_markers() -> dict[str, str]:
    return {place: f"ZEBRA{uuid4().hex}" for place in (*SECRET_PLACES, "control")} | CODED


def write_marked_record(markers: dict[str, str]) -> None:
    """Everything a clinician writes about one session, each place with its own marker."""
    practice = t.make_practice()
    alice = t.make_user(practice, f"alice{uuid4().hex[:8]}")
    client = t.make_client(alice, address=f"1 Control Street {markers['control']}")
    session = t.make_session(client, alice, day=timezone.localdate() - timedelta(days=30))
    note = t.make_note(session, sections=t.SOAP | {"subjective": markers["old_draft"]})
    note = actions.save_draft(
        by=alice,
        note=note,
        changes={
            "sections": {"subjective": markers["subjective"], "plan": markers["plan"]},
            "mse": {"mood": markers["mse"]},
            "risk": {
                "si": "active",
                "level": "moderate",
                "si_plan": markers["si_plan"],
                "protective_factors": "Family.",
                "safety_plan": markers["safety_plan"],
            },
            "interventions_other": markers["interventions_other"],
        },
    )
    note = actions.sign_note(by=alice, note=note, late_reason=markers["late_reason"])
    actions.add_addendum(by=alice, note=note, body=markers["addendum"])
    t.open_psychotherapy_notes(alice)
    process = actions.write_psychotherapy_note(
        by=alice, client=client, session=session, body=markers["old_psychotherapy"]
    )
    actions.write_psychotherapy_note(
        by=alice, client=client, session=session, body=markers["psychotherapy"], note=process
    )
    # A colleague off the care team opens the chart in an emergency; the privacy officer
    # finds it was not appropriate.
    colleague = t.make_user(practice, f"bob{uuid4().hex[:8]}")
    officer = t.make_user(practice, f"pria{uuid4().hex[:8]}", Role.PRIVACY)
    grant = emergency.break_glass(by=colleague, client=client, reason=markers["emergency_reason"])
    emergency.review_emergency_access(by=officer, grant=grant, review="not_appropriate",
                                      comment=markers["emergency_review"])
    write_marked_facts(alice, client, markers)


def write_marked_facts(alice, client, markers):
    """The structured facts of the record: a diagnosis, a scored questionnaire, an
    authorization (later revoked) and a disclosure under an exception."""
    client_actions.add_diagnosis(by=alice, client=client, code=markers["diagnosis_code"])
    administration = measure_actions.administer(
        by=alice, client=client, instrument_key="phq9", answers=PHQ9_ANSWERS
    )
    measure_actions.resolve_alert(
        by=alice, alert=administration.risk_alert, resolution="referred",
        note=markers["risk_alert_note"],
    )
    authorization = exchange_actions.create_authorization(
        by=alice,
        client=client,
        scope={"diagnoses"},
        recipient_name=markers["authorization_recipient"],
        recipient_organisation=markers["authorization_organisation"],
        recipient_contact=markers["authorization_contact"],
        purpose=markers["authorization_purpose"],
        expires_on=timezone.localdate() + timedelta(days=90),
        signed_form=b"%PDF-1.4\n% fictional signed form\n%%EOF\n",
        signed_form_name=markers["authorization_form_name"],
    )
    exchange_actions.revoke_authorization(
        by=alice, authorization=authorization, reason=markers["authorization_revocation"]
    )
    basis = gate.UnderException(
        code="treatment",
        justification=markers["disclosure_justification"],
        recipient_name=markers["disclosure_recipient"],
        recipient_organisation=markers["disclosure_organisation"],
        recipient_contact=markers["disclosure_contact"],
    )
    grant = gate.authorise(
        alice, client, {"diagnoses"}, (None, None), markers["disclosure_purpose"], basis
    )
    gate.export_client(alice, client, grant, Disclosure.Format.FHIR_BUNDLE)


# --- SQLite: the raw files of a real data folder -------------------------------------------


_WRITER = """
import json, os, sys
import django
django.setup()
from psynote.notes.tests.test_encryption_at_rest import write_marked_record
write_marked_record(json.loads(sys.argv[1]))
# Leave without closing the connection, as a running server would be: the newest pages
# stay in the -wal file instead of being checkpointed into the database on close.
os._exit(0)
"""


def sqlite_files_scan(tmp_path: Path, markers: dict[str, str]) -> None:
    home, env = at_rest.data_folder(tmp_path)
    at_rest.run_python(["manage.py", "migrate", "--noinput"], env)
    at_rest.run_python(["-c", _WRITER, json.dumps(markers)], env)
    at_rest.assert_only_control_in_files(home, markers)


# --- the test ------------------------------------------------------------------------------


@pytest.fixture
def _triggers_back_after_flush(django_db_blocker):
    """Set up before, and so torn down after, the transactional database's flush."""
    with django_db_blocker.unblock():
        in_force = triggers.enabled_count()
    statements: list[str] = []
    yield statements
    with django_db_blocker.unblock():
        triggers.restore(statements)
        assert triggers.enabled_count() == in_force > 0


@pytest.fixture
def committed_db(_triggers_back_after_flush, transactional_db):
    """A database whose writes are committed. Signed notes and audit events refuse DELETE,
    so the triggers are off for the flush that empties the tables afterwards, then back."""
    yield
    _triggers_back_after_flush.extend(triggers.disable())


def test_no_clinical_text_is_stored_in_clear(committed_db, tmp_path):
    markers = new_markers()
    if connection.vendor == "postgresql":
        write_marked_record(markers)
        assert at_rest.found_in(at_rest.pg_dump_text(), markers) == {"control"}
        assert at_rest.found_in(at_rest.every_column_as_text(), markers) == {"control"}
    else:
        sqlite_files_scan(tmp_path, markers)


@pytest.mark.parametrize(
    "model", [Diagnosis, Administration, RiskAlert, Authorization, Disclosure]
)
def test_sealed_facts_have_no_clear_column(model, cast):
    """Codes, answers, totals, bands, flags, recipients and purposes live only in the
    sealed `facts_ct`: the table has no other column for them, and what `facts_ct` holds
    is a Psynote ciphertext, not the document."""
    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(
                cursor, model._meta.db_table)
        }
    facts = set(model.fact_names())
    assert facts and not facts & columns
    assert "facts_ct" in columns


def test_a_stored_total_is_ciphertext(cast):
    administration = measure_actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9", answers=PHQ9_ANSWERS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT facts_ct FROM measures_administration WHERE id = %s",
            [administration.pk.hex if connection.vendor == "sqlite" else administration.pk],
        )
        (stored,) = cursor.fetchone()
    stored = bytes(stored)
    assert stored[:1] == b"\x01" and b'"total":17' not in stored
    assert Administration.objects.get(pk=administration.pk).total == 17


# --- associated data binds each ciphertext to its row --------------------------------------


@pytest.fixture
def two_drafts(cast):
    first = t.make_note(t.make_session(cast.client, cast.alice))
    second = t.make_note(
        t.make_session(cast.client, cast.alice, day=timezone.localdate() - timedelta(days=1))
    )
    return first, second


def test_a_notes_ciphertext_moved_to_another_note_does_not_open(two_drafts):
    first, second = two_drafts
    ProgressNote.objects.filter(pk=second.pk).update(content_ct=first.content_ct)

    with pytest.raises(crypto.DecryptionError):
        ProgressNote.objects.get(pk=second.pk).content()
    assert ProgressNote.objects.get(pk=first.pk).content()["sections"] == t.SOAP


def test_a_ciphertext_does_not_open_as_another_field(two_drafts):
    note = two_drafts[0]
    key = note.client.data_key()
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(
            key, bytes(note.content_ct), crypto.aad_for("notes_progressnote", note.pk, "risk")
        )


def test_a_notes_ciphertext_does_not_open_under_another_clients_key(cast, two_drafts):
    note = two_drafts[0]
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(cast.other_client.data_key(), bytes(note.content_ct), note._aad())


def test_an_addendum_body_moved_to_another_addendum_does_not_open(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    first = actions.add_addendum(by=cast.alice, note=note, body="First.")
    second = actions.add_addendum(by=cast.alice, note=note, body="Second.")

    moved = Addendum.objects.get(pk=second.pk)
    moved.body_ct = first.body_ct  # in memory only: the trigger refuses the real write
    with pytest.raises(crypto.DecryptionError):
        moved.body()


def test_a_psychotherapy_note_moved_to_another_does_not_open(cast):
    t.open_psychotherapy_notes(cast.alice)
    first = actions.write_psychotherapy_note(by=cast.alice, client=cast.client, body="One.")
    second = actions.write_psychotherapy_note(by=cast.alice, client=cast.client, body="Two.")
    PsychotherapyNote.objects.filter(pk=second.pk).update(body_ct=first.body_ct)

    with pytest.raises(crypto.DecryptionError):
        PsychotherapyNote.objects.get(pk=second.pk).body()


def test_a_psychotherapy_note_is_sealed_under_its_authors_key_not_the_clients(cast):
    t.open_psychotherapy_notes(cast.alice)
    process = actions.write_psychotherapy_note(
        by=cast.alice, client=cast.client, body="Process notes."
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(cast.client.data_key(), bytes(process.body_ct), process._aad())
    assert PsychotherapyNote.objects.get(pk=process.pk).body() == "Process notes."


def test_a_clients_wrapped_key_moved_to_another_client_does_not_unwrap(cast):
    from psynote.clients.models import Client

    Client.objects.filter(pk=cast.other_client.pk).update(wrapped_key=cast.client.wrapped_key)
    with pytest.raises(crypto.DecryptionError):
        Client.objects.get(pk=cast.other_client.pk).data_key()


def test_sealed_facts_moved_to_another_row_do_not_open(cast):
    first = client_actions.add_diagnosis(by=cast.alice, client=cast.client, code="F32.A")
    second = Diagnosis.objects.get(client=cast.client, pk__lt=first.pk)  # the fixture's F41.1
    Diagnosis.objects.filter(pk=second.pk).update(facts_ct=first.facts_ct)

    with pytest.raises(crypto.DecryptionError):
        _ = Diagnosis.objects.get(pk=second.pk).code
    assert Diagnosis.objects.get(pk=first.pk).code == "F32.A"


def test_sealed_facts_do_not_open_under_another_clients_key(cast):
    administration = measure_actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9", answers=PHQ9_ANSWERS
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(
            cast.other_client.data_key(), bytes(administration.facts_ct),
            administration._facts_aad(),
        )
