"""The PDF of a client's record: made only through the disclosure gate, holding only what
the grant's scope allows, every signed note with its signature line, late-entry label and
addenda in order, never a draft or a psychotherapy note, and an integrity certificate that
matches the signed package it travels in.

Neither pypdf nor pdftotext is installed, and WeasyPrint compresses the PDF's text, so the
content is checked on the HTML the PDF is printed from (`pdf.client_html`), and the PDF
itself for being a PDF, for landing in the package and for being covered by its hashes.
"""

import re
import zipfile
from datetime import UTC, date, datetime
from io import BytesIO

import pytest

from psynote import cli
from psynote import testing as t
from psynote.exchange import actions, gate, pdf
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.conftest import NOTE_MARKER, PN_MARKER, authorize
from psynote.measures import actions as measure_actions
from psynote.notes import actions as note_actions

RECORD = set(KINDS) - {PSYCHOTHERAPY}
DRAFT_MARKER = "Marmaladewombat"  # appears only in a draft progress note


@pytest.fixture
def full(record):
    """alice's client with a second addendum, a marked draft, scores and a signed plan."""
    note_actions.add_addendum(
        by=record.alice,
        note=record.note,
        body="Second fictional clarification.",
        kind="clarification",
    )
    draft_session = t.make_session(record.client, record.alice, day=date(2025, 4, 1))
    t.make_note(draft_session, sections={**t.SOAP, "subjective": DRAFT_MARKER})
    for day, answer in ((date(2025, 3, 4), 2), (date(2025, 5, 6), 1)):
        measure_actions.administer(
            by=record.alice,
            client=record.client,
            instrument_key="phq9",
            answers={str(n): answer for n in range(1, 10)} | {"9": 0},
            administered_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
        )
    record.plan = t.make_plan(record.client, record.alice)
    return record


def grant_for(record, scope=RECORD, date_range=(None, None)):  # type: ignore[no-untyped-def]
    authorization = authorize(record.alice, record.client, scope)
    return gate.authorise(
        record.alice, record.client, scope, date_range, "Continuity of care", authorization
    )


def export(record, scope=RECORD, date_range=(None, None)):  # type: ignore[no-untyped-def]
    grant = grant_for(record, scope, date_range)
    return gate.export_client(record.alice, record.client, grant, Disclosure.Format.PDF)


def html(record, scope=RECORD, date_range=(None, None)) -> str:  # type: ignore[no-untyped-def]
    return pdf.client_html(record.client, scope, date_range)


def package_file(package, name: str) -> bytes:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(BytesIO(package.data)) as archive:
        return archive.read(name)


def test_pdf_is_an_available_format_now_that_the_builder_exists():
    assert Disclosure.Format.PDF in gate.available_formats()


def test_the_pdf_comes_through_the_gate_for_an_authorised_scope(full):
    package = export(full)
    body = package_file(package, "record.pdf")
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    disclosure = Disclosure.objects.get(client=full.client)
    assert disclosure.format == Disclosure.Format.PDF
    assert disclosure.package_sha256 == package.sha256


def test_the_gate_refuses_a_pdf_that_no_authorization_covers(full):
    authorization = authorize(full.alice, full.client, {"diagnoses"})
    with pytest.raises(gate.Refused, match="does not cover"):
        gate.authorise(
            full.alice, full.client, RECORD, (None, None), "Continuity of care", authorization
        )


def test_the_cover_names_practice_client_period_and_says_confidential(full):
    text = pdf.client_html(
        full.client,
        RECORD,
        (date(2025, 1, 1), date(2025, 12, 31)),
        recipient="Dr Fictional Receiver",
        purpose="Continuity of care",
    )
    assert full.client.practice.name in text
    assert f"{full.client.first_name} {full.client.last_name}" in text
    assert full.client.date_of_birth.isoformat() in text
    assert "2025-01-01 to 2025-12-31" in text
    assert "Dr Fictional Receiver" in text and "Continuity of care" in text
    assert "Confidential" in text


def test_each_note_carries_its_signature_line_late_entry_label_and_hash(full):
    text = html(full)
    note = full.note
    assert f"Electronically signed by {note.signer_name} on" in text
    assert full.alice.credentials and full.alice.credentials in note.signer_name
    assert "Late entry." in text and "Fictional late entry." in text
    assert note.content_hash in text
    assert NOTE_MARKER in text
    assert note.cpt_code and note.cpt_code in text


def test_addenda_follow_their_note_in_the_order_they_were_signed(full):
    text = html(full)
    signature = text.index(f"Content SHA-256: {full.note.content_hash}")
    first = text.index("Fictional later information.")
    second = text.index("Second fictional clarification.")
    assert signature < first < second
    assert "Addendum 1 (Later information)" in text or "Addendum 1 (" in text
    assert "Addendum 2 (Clarification)" in text


def test_never_a_draft_or_a_psychotherapy_note_even_when_asked(full):
    text = html(full, scope=set(KINDS))  # the builder drops psychotherapy notes itself
    assert DRAFT_MARKER not in text
    assert PN_MARKER not in text
    assert "Psychotherapy notes are not part of this document." in text


def test_only_what_the_scope_allows(full):
    text = html(full, scope={"diagnoses"})
    assert "Diagnoses (ICD-10-CM)" in text
    for code, description in ((d.code, d.description) for d in full.client.diagnoses.all()):
        assert code in text and description in text
    assert NOTE_MARKER not in text and "Progress notes" not in text
    assert "<svg" not in text and "Treatment plan" not in text
    assert "Demographics" not in text


def test_the_date_range_leaves_out_notes_and_scores_outside_it(full):
    text = html(full, date_range=(date(2025, 4, 1), date(2025, 12, 31)))
    assert NOTE_MARKER not in text
    assert "No signed progress notes in this period." in text
    assert text.count("<tr><td>2025-05-06") == 1 and "2025-03-04 " not in text


def test_measures_come_with_their_trend_chart_and_score_table(full):
    text = html(full, scope={"measures"})
    assert text.count("<svg") == 1
    assert "PHQ-9" in text


def test_the_current_plan_version_with_its_signature(full):
    text = html(full, scope={"plans"})
    assert f"Version {full.plan.number}" in text
    assert full.plan.signer_name in text and full.plan.content_hash in text
    assert "Fictional objective 1: practise worry time daily." in text


def test_a_part2_record_carries_the_notice_page(full):
    actions.set_part2(by=full.alice, client=full.client, part2=True)
    text = html(full)
    assert "Notice: 42 CFR part 2" in text
    assert gate.part2_notice().decode().splitlines()[0] in text


def test_the_integrity_certificate_matches_the_package_manifest(full):
    grant = grant_for(full)
    text = html(full)  # rendered as the gate renders it: after the authorization's audit event
    package = gate.export_client(full.alice, full.client, grant, Disclosure.Format.PDF)
    manifest = package.manifest
    assert "Integrity certificate" in text
    for records in manifest["signed_records"].values():
        for digest in records.values():
            assert digest in text
    head = manifest["audit_chain_head"]
    assert f"sequence {head['seq']}" in text and head["hash"] in text
    fingerprint = manifest["signing_key"]["fingerprint_sha256"]
    assert " ".join(re.findall(".{4}", fingerprint)) in text
    assert "docs/verify-export.md" in text


def test_a_changed_byte_in_the_pdf_is_named_by_verify_export(full, tmp_path, capsys):
    package = export(full)
    original = tmp_path / package.name
    original.write_bytes(package.data)
    assert cli.main(["verify-export", str(original)]) == 0
    changed = tmp_path / ("changed-" + package.name)
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "record.pdf":
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
            target.writestr(info.filename, data)
    capsys.readouterr()
    assert cli.main(["verify-export", str(changed)]) == 1
    assert "changed: record.pdf" in capsys.readouterr().out


def test_no_scope_of_the_record_prints_a_draft_or_a_psychotherapy_note(full):
    kinds = sorted(RECORD)
    for mask in range(1, 2 ** len(kinds)):
        scope = {kind for n, kind in enumerate(kinds) if mask >> n & 1}
        text = html(full, scope=scope)
        assert PN_MARKER not in text and DRAFT_MARKER not in text, scope
