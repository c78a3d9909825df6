from psynote.audit.models import AuditEvent
from psynote.clients.models import CareTeamMember, Client

GOOD = {
    "first_name": "Dana",
    "last_name": "Newperson",
    "date_of_birth": "1985-02-03",
    "pronouns": "they/them",
    "email": "dana@example.invalid",
}


def test_front_desk_adds_a_client_with_a_chosen_primary_clinician(cast, login):
    before = Client.objects.count()
    response = login(cast.fred).post("/clients/new/", GOOD | {"primary_clinician": cast.bob.pk})
    client = Client.objects.get(last_name="Newperson")
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/"
    assert Client.objects.count() == before + 1
    assert client.care_team.get().user == cast.bob
    assert client.care_team.get().role == CareTeamMember.Role.PRIMARY
    assert AuditEvent.objects.filter(action="client.create", client_id=str(client.pk)).exists()


def test_admin_must_choose_a_primary_clinician(cast, login):
    before = Client.objects.count()
    response = login(cast.ada).post("/clients/new/", GOOD)
    assert response.status_code == 400
    assert "primary_clinician" in response.context["form"].errors
    assert Client.objects.count() == before


def test_admin_cannot_make_a_front_desk_user_primary_clinician(cast, login):
    before = Client.objects.count()
    response = login(cast.ada).post("/clients/new/", GOOD | {"primary_clinician": cast.fred.pk})
    assert response.status_code == 400
    assert Client.objects.count() == before


def test_clinician_who_adds_a_client_becomes_primary(cast, login):
    response = login(cast.alice).post("/clients/new/", GOOD)
    assert response.status_code == 302
    client = Client.objects.get(last_name="Newperson")
    assert list(client.care_team.values_list("user", "role")) == [(cast.alice.pk, "primary")]


def test_clinician_form_has_no_clinician_choice(cast, login):
    page = login(cast.alice).get("/clients/new/").content.decode()
    assert 'name="primary_clinician"' not in page
    page = login(cast.fred).get("/clients/new/").content.decode()
    assert 'name="primary_clinician"' in page and 'placeholder="YYYY-MM-DD"' in page


def test_future_date_of_birth_is_refused_and_nothing_is_saved(cast, login):
    before = (Client.objects.count(), CareTeamMember.objects.count())
    response = login(cast.alice).post("/clients/new/", GOOD | {"date_of_birth": "2999-01-01"})
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    assert (Client.objects.count(), CareTeamMember.objects.count()) == before


def test_missing_name_and_bad_date_show_errors_next_to_fields(cast, login):
    response = login(cast.alice).post(
        "/clients/new/", {"first_name": "", "last_name": "X", "date_of_birth": "not-a-date"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "first_name" in errors and "date_of_birth" in errors
    assert 'class="errorlist' in response.content.decode()


def test_privacy_officer_cannot_add_clients(cast, login):
    assert login(cast.pria).get("/clients/new/").status_code == 404
    assert login(cast.pria).post("/clients/new/", GOOD).status_code == 404
