"""Recipients, purposes and reasons of authorizations and disclosures are sealed under the
client's key (ADR 0002): they read back through the models and pages as before, a
destroyed record's stay unreadable without breaking the privacy officer's log, and the
one-basis rule the database enforced on the justification still holds."""

import pytest
from django.db import IntegrityError, transaction

from psynote.clients.models import SHREDDED_KEY, Client
from psynote.exchange import actions, gate
from psynote.exchange.models import Authorization, Disclosure
from psynote.exchange.tests.conftest import authorize

ALL_TIME = (None, None)


def _disclose(record):  # type: ignore[no-untyped-def]
    under = gate.UnderException(
        code="treatment",
        justification="Fictional reason Quillmarten.",
        recipient_name="Fictional Recipient Larchwidget",
        recipient_organisation="Imaginary Agency",
        recipient_contact="1 Nowhere Road",
    )
    grant = gate.authorise(
        record.alice, record.client, {"diagnoses"}, ALL_TIME, "Fictional purpose Oakspindle", under
    )
    gate.export_client(record.alice, record.client, grant, Disclosure.Format.FHIR_BUNDLE)
    return Disclosure.objects.get(client=record.client)


def test_particulars_read_back_through_the_model(record):
    authorization = authorize(
        record.alice, record.client, {"diagnoses"}, recipient_contact="2 Fictional Way"
    )
    actions.revoke_authorization(by=record.alice, authorization=authorization, reason="Moved.")
    again = Authorization.objects.get(pk=authorization.pk)
    assert again.recipient_display == "Dr Fictional Receiver, Imaginary Psychiatry Clinic"
    assert (again.recipient_contact, again.purpose) == ("2 Fictional Way", "Continuity of care")
    assert again.revocation_reason == "Moved."
    disclosure = Disclosure.objects.get(pk=_disclose(record).pk)
    assert disclosure.recipient_display == "Fictional Recipient Larchwidget, Imaginary Agency"
    assert disclosure.purpose == "Fictional purpose Oakspindle"
    assert disclosure.justification == "Fictional reason Quillmarten."


def test_the_log_shows_a_destroyed_records_disclosures_without_their_particulars(
    record, login
):
    _disclose(record)
    Client.objects.filter(pk=record.client.pk).update(wrapped_key=SHREDDED_KEY)

    page = login(record.cast.pria).get("/disclosures/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "(destroyed with the record)" in html
    assert "Larchwidget" not in html


def test_an_exception_disclosure_without_a_justification_is_refused(record):
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            client=record.client,
            recipient_name="X",
            scope=["diagnoses"],
            purpose="Y",
            exception="treatment",
            justification="  ",
            format="pdf",
            package_name="p.zip",
            package_sha256="0" * 64,
            by=record.alice,
        )
    assert not Disclosure.objects.exists()


def test_an_authorized_disclosure_with_a_justification_is_refused(record):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            client=record.client,
            recipient_name="X",
            scope=["diagnoses"],
            purpose="Y",
            authorization=authorization,
            justification="Not wanted here.",
            format="pdf",
            package_name="p.zip",
            package_sha256="0" * 64,
            by=record.alice,
        )
