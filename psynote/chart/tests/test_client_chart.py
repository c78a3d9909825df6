from datetime import timedelta

from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.notes import actions as note_actions


def test_clinician_sees_the_full_chart_and_the_view_is_audited(cast, login):
    response = login(cast.alice).get(f"/clients/{cast.client.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "F41.1" in page and "Record a session" in page and "Add a diagnosis" in page
    assert "No sessions yet" in page and "record the first one" in page
    assert f"/clients/{cast.client.pk}/psychotherapy-notes/" in page
    event = AuditEvent.objects.filter(action="client.view", client_id=str(cast.client.pk)).get()
    assert event.actor_id == str(cast.alice.pk) and '"clinical"' in event.detail


def test_another_clinicians_client_is_a_404_and_audited(cast, login):
    assert login(cast.bob).get(f"/clients/{cast.client.pk}/").status_code == 404
    denied = AuditEvent.objects.get(action="access.denied", target_id=str(cast.client.pk))
    assert denied.actor_id == str(cast.bob.pk)
    assert not AuditEvent.objects.filter(action="client.view").exists()


def test_supervisor_reads_a_supervisees_chart_without_writing(cast, login):
    t.make_session(cast.supervisee_client, cast.sue)
    page = login(cast.sam).get(f"/clients/{cast.supervisee_client.pk}/").content.decode()
    assert "F41.1" in page and 'data-note-status="needs_note"' in page
    assert "Record a session" not in page and "Add a diagnosis" not in page
    assert "psychotherapy-notes" not in page
    assert login(cast.sam).get(f"/clients/{cast.client.pk}/").status_code == 404


def test_admin_sees_demographics_and_care_team_only(cast, login):
    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    response = login(cast.ada).get(f"/clients/{cast.client.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Avery" in page and cast.alice.signature_name in page
    assert "Manage the care team" in page
    for clinical in (
        "F41.1",
        "Diagnoses",
        "Sessions",
        "data-note-status",
        "Signed",
        "psychotherapy-notes",
        "Record a session",
    ):
        assert clinical not in page
    assert '"demographics"' in AuditEvent.objects.get(action="client.view").detail


def test_front_desk_sees_sessions_but_never_notes_or_diagnoses(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True)
    page = login(cast.fred).get(f"/clients/{cast.client.pk}/").content.decode()
    assert session.date.strftime("%Y-%m-%d") in page and "Attended" in page
    assert "Record a session" in page
    for clinical in (
        "F41.1",
        "Diagnoses",
        "data-note-status",
        "Signed",
        "Progress note",
        "psychotherapy-notes",
    ):
        assert clinical not in page


def test_privacy_officer_cannot_open_a_chart(cast, login):
    assert login(cast.pria).get(f"/clients/{cast.client.pk}/").status_code == 404


def test_unknown_client_is_a_404(cast, login):
    assert (
        login(cast.alice).get("/clients/00000000-0000-0000-0000-000000000000/").status_code == 404
    )


def test_timeline_shows_each_sessions_note_status_newest_first(cast, login):
    today = timezone.localdate()
    signed = t.make_session(cast.client, cast.alice, day=today - timedelta(days=1))
    note = t.make_note(signed, sign=True)
    draft = t.make_session(cast.client, cast.alice, day=today - timedelta(days=2))
    t.make_note(draft)
    needs = t.make_session(cast.client, cast.alice, day=today - timedelta(days=3))
    note_actions.add_addendum(by=cast.alice, note=note, body="Fictional correction.")
    note_actions.add_addendum(by=cast.alice, note=note, body="Another fictional line.")
    late = t.make_session(cast.client, cast.alice, day=today - timedelta(days=10))
    late_note = t.make_note(late)
    note_actions.sign_note(by=cast.alice, note=late_note, late_reason="Fictional delay.")
    t.make_session(cast.client, cast.alice, day=today - timedelta(days=4), attendance="no_show")
    t.make_session(cast.client, cast.alice, day=today + timedelta(days=5), attendance="scheduled")

    page = login(cast.alice).get(f"/clients/{cast.client.pk}/").content.decode()
    order = [
        page.index(f'data-note-status="{key}"')
        for key in ("scheduled", "signed", "draft", "needs_note", "no_note", "late")
    ]
    assert order == sorted(order)
    assert "2 addenda" in page and "Signed · late entry" in page
    assert f"/notes/{note.pk}/" in page and str(needs.pk) in page


def test_chart_renders_diagnosis_status_choices_for_writers(cast, login):
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/").content.decode()
    diagnosis = cast.client.diagnoses.get()
    assert f"/diagnoses/{diagnosis.pk}/status/" in page and 'value="ruled_out"' in page
    assert 'list="icd-options"' in page and "/icd10/" in page and "icd.js" in page
