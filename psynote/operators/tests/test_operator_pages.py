"""The operator (ADR 0017): practices and their counts, never a record or a person's name."""

import pytest
from django.db import IntegrityError, transaction

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.accounts.models import Practice, Role, User
from psynote.audit import chain
from psynote.audit.log import INSTALLATION_CHAIN
from psynote.audit.models import AuditEvent

MARKER_FIRST, MARKER_LAST = "Quillonferd", "Zarvelmoot"
MARKER_TEXT = "Marker-word orchidfalcon in the subjective section."


@pytest.fixture
def marked(cast):
    client = t.make_client(cast.alice, first_name=MARKER_FIRST, last_name=MARKER_LAST)
    session = t.make_session(client, cast.alice)
    sections = {"subjective": MARKER_TEXT, "objective": "Fictional.", "assessment": "Fictional.",
                "plan": "Fictional."}
    note = t.make_note(session, sections=sections, sign=True)
    return client, note


def _new_practice_form(**changes):
    data = {"name": "Second Fictional Practice", "admin_username": "bea",
            "admin_email": "bea@example.invalid", "admin_first_name": "Bea",
            "admin_last_name": "Fictional"}
    return data | changes


def test_the_operator_sees_counts_and_health_only(cast, marked, login):
    page = login(cast.opal)
    listing = page.get("/operator/practices/")
    verified = page.post("/operator/practices/verify/")

    for response in (listing, verified):
        assert response.status_code == 200
        html = response.content.decode()
        assert cast.practice.name in html
        for secret in (MARKER_FIRST, MARKER_LAST, "orchidfalcon", "Avery", "Fictional</",
                       "alice", "Alice", cast.alice.email or "alice@"):
            assert secret not in html, secret
    row = listing.context["rows"][0]
    assert (row.users, row.clients, row.notes) == (7, 4, 1)
    assert row.audit_events > 0 and row.last_event_at
    assert row.chain_intact is None
    assert verified.context["rows"][0].chain_intact is True
    assert verified.context["installation"].chain_intact is True


def test_the_operator_gets_404_on_every_record_page_and_the_api(cast, marked, login, client):
    patient, note = marked
    page = login(cast.opal)
    for url in (f"/clients/{patient.pk}/", f"/notes/{note.pk}/", "/clients/", "/users/",
                "/audit/", f"/clients/{patient.pk}/psychotherapy-notes/"):
        response = page.get(url)
        assert response.status_code == 404, url
        assert MARKER_LAST not in response.content.decode()
    for url in (f"/api/v1/clients/{patient.pk}", f"/api/v1/notes/{note.pk}", "/api/v1/clients"):
        assert page.get(url).status_code == 404, url
    client.logout()
    _, secret = issue_token(by=cast.opal, name="operator tries the API")
    for url in (f"/api/v1/clients/{patient.pk}", f"/api/v1/notes/{note.pk}", "/api/v1/clients",
                "/api/v1/instruments"):
        response = client.get(url, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 404, url
        assert MARKER_LAST not in response.content.decode()
        assert "orchidfalcon" not in response.content.decode()


def test_the_operators_acts_and_refusals_go_to_the_installation_chain(cast, login):
    page = login(cast.opal)
    assert page.get(f"/clients/{cast.client.pk}/").status_code == 404
    practice_chain = AuditEvent.objects.filter(practice_id=cast.practice.pk)
    assert not practice_chain.filter(actor_id=str(cast.opal.pk)).exists()
    denied = AuditEvent.objects.get(practice_id=INSTALLATION_CHAIN, action="access.denied")
    assert denied.actor_id == str(cast.opal.pk)
    assert chain.verify_practice(INSTALLATION_CHAIN).breaks == []


def test_the_operators_home_is_the_operator_page_and_two_factors_are_required(cast, login):
    from psynote.accounts import mfa

    assert mfa.required_for(cast.opal)
    response = login(cast.opal).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/operator/practices/"


def test_the_operator_creates_a_practice_and_its_first_admin(cast, login, client):
    page = login(cast.opal)
    response = page.post("/operator/practices/new/", _new_practice_form())

    assert response.status_code == 200
    made = response.context["made"]
    assert made.password and made.password in response.content.decode()
    practice = Practice.objects.get(name="Second Fictional Practice")
    admin = User.objects.get(username="bea")
    assert (admin.practice_id, admin.role, admin.must_change_password) == (
        practice.pk, Role.ADMIN, True)
    first = AuditEvent.objects.filter(practice_id=practice.pk).order_by("seq").first()
    assert (first.action, first.seq) == ("practice.create", 1)
    assert AuditEvent.objects.filter(practice_id=INSTALLATION_CHAIN,
                                     action="installation.practice_create",
                                     target_id=str(practice.pk)).exists()
    assert chain.verify_practice(practice.pk).breaks == []
    assert made.password not in str(list(AuditEvent.objects.values_list("payload", flat=True)))

    client.logout()
    signed_in = client.post("/login/", {"username": "bea", "password": made.password})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/account/password/choose/"


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "Fictional Test Practice"}, "exists already"),
    ({"name": "  fictional test PRACTICE "}, "exists already"),
    ({"admin_username": "alice"}, "is taken"),
    ({"admin_username": "opal"}, "is taken"),
    ({"admin_username": ""}, "This field is required"),
    ({"admin_email": "not an address"}, "valid email"),
])
def test_bad_input_for_a_new_practice_is_a_clear_error_and_writes_nothing(
        cast, login, changes, message):
    before = (Practice.objects.count(), User.objects.count(), AuditEvent.objects.count())
    response = login(cast.opal).post("/operator/practices/new/", _new_practice_form(**changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Practice.objects.count(), User.objects.count(),
            AuditEvent.objects.count()) == before


def test_nobody_but_the_operator_opens_the_operator_pages(cast, login):
    for who in (cast.ada, cast.alice, cast.pria):
        page = login(who)
        assert page.get("/operator/practices/").status_code == 404
        assert page.post("/operator/practices/new/", _new_practice_form()).status_code == 404
    assert not Practice.objects.filter(name="Second Fictional Practice").exists()


def test_a_practice_admin_cannot_make_an_operator(cast, login):
    response = login(cast.ada).post("/users/new/", {
        "username": "sneaky", "first_name": "S", "last_name": "Fictional", "email": "",
        "role": Role.OPERATOR, "is_active": "on", "password1": "Correct-Horse-Battery-9",
        "password2": "Correct-Horse-Battery-9"})
    assert response.status_code == 200
    assert not User.objects.filter(username="sneaky").exists()


def test_a_user_is_in_exactly_one_practice_unless_operator(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nowhere", role=Role.CLINICIAN, practice=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="inside", role=Role.OPERATOR, practice=cast.practice)


def test_an_admin_of_another_practice_sees_none_of_this_practices_users(cast, login):
    other = t.make_practice("Other Fictional Practice")
    other_admin = t.make_user(other, "olga", Role.ADMIN)
    response = login(other_admin).get("/users/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "olga" in html
    for name in ("alice", "bob", "ada", "pria", "opal"):
        assert f">{name}<" not in html, name
    assert login(other_admin).get(f"/users/{cast.alice.pk}/").status_code == 404


def test_a_failed_sign_in_is_logged_where_no_other_practice_reads_it(cast, client):
    other = t.make_practice("Other Fictional Practice")
    t.make_user(other, "olga", Role.ADMIN)
    for username in ("olga", "opal", "nobody-at-all"):
        client.post("/login/", {"username": username, "password": "not-the-password"})

    failed = AuditEvent.objects.filter(action="login.failed")
    assert failed.get(target_id="olga").practice_id == other.pk
    assert failed.get(target_id="opal").practice_id == INSTALLATION_CHAIN
    assert failed.get(target_id="nobody-at-all").practice_id == INSTALLATION_CHAIN
    assert not failed.filter(practice_id=cast.practice.pk).exists()
