"""A note held for approval is out of every listing of the record, disclosure and export
until approved; once co-signed, the co-signature is in the note's PDF and FHIR Provenance."""

import pytest

from psynote import testing as t
from psynote.chart import timeline
from psynote.exchange import pdf, selection
from psynote.exchange.fhir import build, record
from psynote.notes.queries import golden_thread
from psynote.supervision import actions
from psynote.supervision.models import Mode
from psynote.visits.models import Session


@pytest.fixture
def held(cast):
    actions.set_supervision(by=cast.ada, supervisor=cast.sam, supervisee=cast.sue,
                            mode=Mode.APPROVE_BEFORE_RECORD)
    return t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)


def _everywhere(client, note) -> dict[str, bool]:
    resources = build.client_resources(client, {"progress_notes"})
    rows = [r for r in record.client_rows(client) if r["record"] == "note"]
    html = pdf.client_html(client, {"progress_notes"})
    return {
        "selection": note in selection.progress_notes(client, (None, None)),
        "fhir": any(r["resourceType"] == "DocumentReference" and r["id"] == str(note.pk)
                    for r in resources),
        "practice_export": any(r["id"] == str(note.pk) for r in rows),
        "pdf": "Client reports fictional week." in html,
    }


def test_a_held_note_is_in_no_export_until_approved(cast, held):
    client = cast.supervisee_client
    assert _everywhere(client, held) == dict.fromkeys(
        ("selection", "fhir", "practice_export", "pdf"), False)
    actions.cosign(by=cast.sam, note=held, approve=True)
    assert _everywhere(client, held) == dict.fromkeys(
        ("selection", "fhir", "practice_export", "pdf"), True)


def test_the_timeline_says_pending_not_signed(cast, held):
    sessions = timeline.with_notes(Session.objects.filter(pk=held.session_id))
    assert timeline.note_status(sessions.get()).key == "awaiting_approval"
    actions.cosign(by=cast.sam, note=held, approve=True)
    sessions = timeline.with_notes(Session.objects.filter(pk=held.session_id))
    assert timeline.note_status(sessions.get()).key == "signed"


def test_the_golden_thread_leaves_out_a_held_note(cast, held, monkeypatch):
    notes_seen = []
    monkeypatch.setattr(type(held), "content",
                        lambda self: notes_seen.append(self.pk) or {"objectives": []})
    golden_thread(cast.supervisee_client)
    assert held.pk not in notes_seen


def test_the_cosignature_is_in_the_pdf_and_fhir_provenance(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    signature = actions.cosign(by=cast.sam, note=note)
    html = pdf.client_html(cast.supervisee_client, {"progress_notes"})
    assert f"Co-signed by {cast.sam.signature_name}" in html
    assert signature.content_hash in html
    resources = list(build.client_resources(cast.supervisee_client, {"progress_notes"}))
    provenance = next(r for r in resources if r["resourceType"] == "Provenance"
                      and r["id"] == f"sign-{note.pk}")
    attester = [a for a in provenance["agent"] if a["type"]["coding"][0]["code"] == "attester"]
    assert attester and attester[0]["who"]["reference"].endswith(f"/{cast.sam.pk}")
    assert "onBehalfOf" in attester[0]
    practitioners = {r["id"] for r in resources if r["resourceType"] == "Practitioner"}
    assert str(cast.sam.pk) in practitioners
    rows = [r for r in record.client_rows(cast.supervisee_client) if r["record"] == "cosignature"]
    assert rows[0]["content_hash"] == signature.content_hash
