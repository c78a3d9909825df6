"""The practice's name, NPI and address: set by an admin, checked, audited without their
values, and carried into every FHIR export as the Organization."""

import pytest
from django.core.exceptions import ValidationError

from psynote.accounts.models import validate_npi
from psynote.audit.models import AuditEvent
from psynote.exchange.fhir.organization import NPI_SYSTEM, organization


@pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
def test_valid_npis_pass_the_check_digit(npi):
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678933", "12345678a3",
                                 "١٢٣٤٥٦٧٨٩٣"])
def test_malformed_npis_are_refused(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)


def test_an_admin_sets_the_details_and_exports_carry_them(cast, login):
    response = login(cast.ada).post("/practice/details/", {
        "name": "Fictional Family Therapy", "npi": "1234567893",
        "address": "1 Imaginary Road, Nowhere",
    })
    assert response.status_code == 302
    cast.practice.refresh_from_db()
    assert (cast.practice.name, cast.practice.npi) == ("Fictional Family Therapy", "1234567893")
    resource = organization(cast.practice)
    assert {"system": NPI_SYSTEM, "value": "1234567893"} in resource["identifier"]
    assert resource["address"] == [{"text": "1 Imaginary Road, Nowhere"}]
    event = AuditEvent.objects.filter(action="practice.details").get()
    assert "Imaginary" not in str(event.detail) and "1234567893" not in str(event.detail)


def test_a_wrong_npi_is_refused_and_nothing_changes(cast, login):
    response = login(cast.ada).post("/practice/details/", {
        "name": "Renamed", "npi": "1234567890", "address": "",
    })
    assert response.status_code == 200
    assert b"check digit does not match" in response.content
    cast.practice.refresh_from_db()
    assert cast.practice.name != "Renamed" and cast.practice.npi == ""
    assert not AuditEvent.objects.filter(action="practice.details").exists()


def test_only_an_admin_changes_the_details(cast, login):
    for user in (cast.alice, cast.sam, cast.fred, cast.pria):
        response = login(user).post("/practice/details/", {"name": "Taken", "npi": ""})
        assert response.status_code == 404
    cast.practice.refresh_from_db()
    assert cast.practice.name != "Taken"
