"""One signed note as a PDF for the care team's own use, and the print button on its page."""

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.chart import note_pdf_views
from psynote.notes import actions as note_actions


def test_a_signed_note_downloads_as_a_pdf_audited(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    note_actions.add_addendum(by=cast.alice, note=note, body="Fictional later information.")
    client = login(cast.alice)
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "Download PDF (for your own use)" in page and "data-print" in page
    response = client.get(f"/notes/{note.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="note.pdf")
    assert event.target_id == str(note.pk) and note.content_hash in event.detail
    # Downloading for the care team's own use is not a disclosure.
    assert not AuditEvent.objects.filter(action__startswith="disclosure").exists()


def test_a_draft_has_no_pdf(cast, login):
    draft = t.make_note(t.make_session(cast.client, cast.alice))
    client = login(cast.alice)
    assert "Download PDF" not in client.get(f"/notes/{draft.pk}/").content.decode()
    response = client.get(f"/notes/{draft.pk}/pdf/")
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="note.pdf").exists()


def test_nobody_outside_the_care_team_downloads_it(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    for user in (cast.bob, cast.sam, cast.fred, cast.ada, cast.pria):
        assert login(user).get(f"/notes/{note.pk}/pdf/").status_code == 404


def test_a_supervisor_reads_and_prints_but_takes_no_copy(cast, login):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    client = login(cast.sam)
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "data-print" in page and "Download PDF" not in page
    assert client.get(f"/notes/{note.pk}/pdf/").status_code == 404
    assert client.get(f"/clients/{cast.supervisee_client.pk}/handoff/").status_code == 200
    assert client.get(f"/clients/{cast.supervisee_client.pk}/handoff.pdf").status_code == 404


def test_the_pdf_marks_carried_sections(cast, login):
    from django.utils import timezone

    from psynote.notes import carry

    first = t.make_note(t.make_session(cast.client, cast.alice,
                                       day=timezone.localdate() - timezone.timedelta(days=1)),
                        sign=True)
    session = t.make_session(cast.client, cast.alice)
    draft = note_actions.start_note(by=cast.alice, session=session, template="soap",
                                    carry_sections=["plan"])
    codes = [d.code for d in cast.client.diagnoses.all()]
    draft = note_actions.save_draft(by=cast.alice, note=draft, changes={
        "sections": {"subjective": "Fictional.", "objective": "Fictional.",
                     "assessment": "Fictional."}, "diagnosis_codes": codes})
    signed = note_actions.sign_note(by=cast.alice, note=draft)
    assert carry.carried_keys(signed.content()) == {"plan"}
    assert carry.carried_from(signed.content())["note_id"] == str(first.pk)
    html = note_pdf_views.note_html(signed, by=cast.alice)
    assert html.count("carried forward from the note of") == 1
    assert "For internal use by the care team" in html


def test_a_cosigned_note_prints_its_cosignature(cast):
    from psynote.supervision import actions as supervision_actions

    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    supervision_actions.cosign(by=cast.sam, note=note)
    html = note_pdf_views.note_html(note, by=cast.sue)
    assert note.cosignature.content_hash in html and cast.sam.signature_name in html
