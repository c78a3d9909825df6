from psynote.audit.models import AuditEvent
from psynote.clients.models import Diagnosis


def _add(cast):
    return f"/clients/{cast.client.pk}/diagnoses/"


def test_clinician_adds_a_diagnosis_from_the_table(cast, login):
    response = login(cast.alice).post(_add(cast), {"code": "f32a", "onset_date": "2024-01-10"})
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{cast.client.pk}/#diagnoses"
    # The code is sealed: the database cannot look it up, so find it among the chart's.
    (diagnosis,) = [d for d in cast.client.diagnoses.all() if d.code == "F32.A"]
    assert diagnosis.added_by == cast.alice and str(diagnosis.onset_date) == "2024-01-10"
    assert AuditEvent.objects.filter(action="diagnosis.add", target_id=str(diagnosis.pk)).exists()


def test_code_outside_the_table_is_refused_next_to_the_field(cast, login):
    before = Diagnosis.objects.count()
    response = login(cast.alice).post(_add(cast), {"code": "J45.909"})
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert Diagnosis.objects.count() == before


def test_duplicate_active_diagnosis_is_refused(cast, login):
    before = Diagnosis.objects.count()
    response = login(cast.alice).post(_add(cast), {"code": "F41.1"})
    assert response.status_code == 400
    assert "already an active diagnosis" in response.content.decode()
    assert Diagnosis.objects.count() == before


def test_new_primary_diagnosis_replaces_the_old_primary(cast, login):
    login(cast.alice).post(_add(cast), {"code": "F43.10", "is_primary": "on"})
    primaries = [d.code for d in cast.client.diagnoses.filter(is_primary=True)]
    assert primaries == ["F43.10"]


def test_those_who_may_not_write_the_chart_cannot_add_diagnoses(cast, login):
    before = Diagnosis.objects.count()
    for user in (cast.bob, cast.ada, cast.fred, cast.pria):
        assert login(user).post(_add(cast), {"code": "F32.A"}).status_code == 404
    supervisee_chart = f"/clients/{cast.supervisee_client.pk}/diagnoses/"
    assert login(cast.sam).post(supervisee_chart, {"code": "F32.A"}).status_code == 404
    assert Diagnosis.objects.count() == before


def test_clinician_resolves_a_diagnosis(cast, login):
    diagnosis = cast.client.diagnoses.get()
    response = login(cast.alice).post(f"/diagnoses/{diagnosis.pk}/status/", {"status": "resolved"})
    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.status == "resolved"
    assert AuditEvent.objects.filter(
        action="diagnosis.update", target_id=str(diagnosis.pk)
    ).exists()


def test_unknown_status_is_refused(cast, login):
    diagnosis = cast.client.diagnoses.get()
    response = login(cast.alice).post(f"/diagnoses/{diagnosis.pk}/status/", {"status": "gone"})
    assert response.status_code == 400
    diagnosis.refresh_from_db()
    assert diagnosis.status == "active"


def test_status_change_of_another_clinicians_client_is_a_404(cast, login):
    diagnosis = cast.other_client.diagnoses.get()
    for user in (cast.alice, cast.ada, cast.fred, cast.sam):
        response = login(user).post(f"/diagnoses/{diagnosis.pk}/status/", {"status": "resolved"})
        assert response.status_code == 404
    diagnosis.refresh_from_db()
    assert diagnosis.status == "active"
    assert AuditEvent.objects.filter(action="access.denied", target_type="diagnosis").exists()


def test_status_change_only_by_post(cast, login):
    diagnosis = cast.client.diagnoses.get()
    assert login(cast.alice).get(f"/diagnoses/{diagnosis.pk}/status/").status_code == 405
