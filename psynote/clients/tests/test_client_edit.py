from psynote.audit.models import AuditEvent


def test_front_desk_edits_demographics(cast, login):
    url = f"/clients/{cast.client.pk}/edit/"
    page = login(cast.fred).get(url)
    assert page.status_code == 200 and 'value="1990-05-17"' in page.content.decode()
    data = {
        "first_name": "Avery",
        "last_name": "Fictional",
        "date_of_birth": "1990-05-17",
        "phone": "555-0100",
        "status": "active",
    }
    response = login(cast.fred).post(url, data)
    assert response.status_code == 302
    cast.client.refresh_from_db()
    assert cast.client.phone == "555-0100"
    event = AuditEvent.objects.get(action="client.update", client_id=str(cast.client.pk))
    assert '"phone"' in event.detail


def test_clinician_edits_their_clients_demographics_but_not_others(cast, login):
    assert login(cast.alice).get(f"/clients/{cast.client.pk}/edit/").status_code == 200
    assert login(cast.alice).get(f"/clients/{cast.other_client.pk}/edit/").status_code == 404


def test_supervisor_does_not_edit_supervisees_clients(cast, login):
    response = login(cast.sam).get(f"/clients/{cast.supervisee_client.pk}/edit/")
    assert response.status_code == 404


def test_privacy_officer_cannot_edit(cast, login):
    assert login(cast.pria).get(f"/clients/{cast.client.pk}/edit/").status_code == 404


def test_bad_edit_is_refused_and_nothing_changes(cast, login):
    data = {
        "first_name": "",
        "last_name": "Changed",
        "date_of_birth": "2999-01-01",
        "status": "active",
    }
    response = login(cast.fred).post(f"/clients/{cast.client.pk}/edit/", data)
    assert response.status_code == 400
    cast.client.refresh_from_db()
    assert cast.client.last_name == "Fictional"
    assert not AuditEvent.objects.filter(action="client.update").exists()


def test_discharging_a_client(cast, login):
    data = {
        "first_name": "Avery",
        "last_name": "Fictional",
        "date_of_birth": "1990-05-17",
        "status": "discharged",
    }
    assert login(cast.ada).post(f"/clients/{cast.client.pk}/edit/", data).status_code == 302
    cast.client.refresh_from_db()
    assert cast.client.status == "discharged"
