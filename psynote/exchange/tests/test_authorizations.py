from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from psynote.audit.models import AuditEvent
from psynote.exchange import actions
from psynote.exchange.models import Authorization, Disclosure
from psynote.exchange.tests.conftest import authorize

PDF = b"%PDF-1.4\n% fictional signed authorization Vermilionotter\n%%EOF\n"


def test_an_authorization_mixing_psychotherapy_notes_with_the_record_is_refused(record):
    with pytest.raises(ValidationError) as caught:
        authorize(record.alice, record.client, {"psychotherapy_notes", "progress_notes"})
    assert "psychotherapy notes alone" in str(caught.value)
    assert not Authorization.objects.exists()


def test_the_database_refuses_a_mixed_psychotherapy_note_authorization(record):
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(
            client=record.client,
            recipient_name="X",
            purpose="Y",
            created_by=record.alice,
            expires_on=date(2099, 1, 1),
            scope_psychotherapy_notes=True,
            scope_diagnoses=True,
            signed_on_screen_name="Avery",
            signed_on_screen_at=timezone.now(),
        )


def test_the_database_refuses_an_authorization_signed_neither_way(record):
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(
            client=record.client,
            recipient_name="X",
            purpose="Y",
            created_by=record.alice,
            expires_on=date(2099, 1, 1),
            scope_diagnoses=True,
        )


def test_creating_an_authorization_is_audited(record):
    authorization = authorize(record.alice, record.client, {"progress_notes"})
    assert AuditEvent.objects.filter(
        action="authorization.create", target_id=str(authorization.pk)
    ).exists()


def test_a_signed_form_is_sniffed_sealed_and_opens_again(record):
    authorization = authorize(
        record.alice,
        record.client,
        {"diagnoses"},
        signed_on_screen_name="",
        signed_form=PDF,
        signed_form_name="form.jpg",
    )
    authorization.refresh_from_db()
    assert authorization.signed_form_type == "application/pdf"  # the bytes, not the name
    assert b"Vermilionotter" not in bytes(authorization.signed_form_ct)
    assert authorization.signed_form() == PDF


def test_a_signed_form_that_is_not_pdf_png_or_jpeg_is_refused(record):
    with pytest.raises(ValidationError, match="PDF, PNG or JPEG"):
        authorize(
            record.alice,
            record.client,
            {"diagnoses"},
            signed_on_screen_name="",
            signed_form=b"<html>not a form</html>",
            signed_form_name="form.pdf",
        )


def test_a_signed_form_over_10_mb_is_refused(record):
    with pytest.raises(ValidationError, match="10 MB"):
        authorize(
            record.alice,
            record.client,
            {"diagnoses"},
            signed_on_screen_name="",
            signed_form=PDF + b"0" * (10 * 1024 * 1024),
        )


def test_an_authorization_needs_exactly_one_signature(record):
    with pytest.raises(ValidationError, match="must sign"):
        authorize(record.alice, record.client, {"diagnoses"}, signed_on_screen_name="")
    with pytest.raises(ValidationError, match="not both"):
        authorize(record.alice, record.client, {"diagnoses"}, signed_form=PDF)


def test_an_authorization_already_expired_is_refused(record):
    with pytest.raises(ValidationError, match="already passed"):
        authorize(
            record.alice,
            record.client,
            {"diagnoses"},
            expires_on=timezone.localdate() - timedelta(days=1),
        )


def test_an_empty_scope_is_refused(record):
    with pytest.raises(ValidationError, match="at least one"):
        authorize(record.alice, record.client, set())


def test_revoking_records_who_when_and_why_once(record):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    revoked = actions.revoke_authorization(
        by=record.alice, authorization=authorization, reason="Client asked by phone."
    )
    assert revoked.revoked_by == record.alice and revoked.revocation_reason
    assert AuditEvent.objects.filter(action="authorization.revoke").exists()
    with pytest.raises(ValidationError, match="already revoked"):
        actions.revoke_authorization(by=record.alice, authorization=authorization)


def test_the_disclosure_log_is_append_only(record):
    disclosure = Disclosure.objects.create(
        client=record.client,
        recipient_name="X",
        scope=["diagnoses"],
        purpose="Y",
        exception="treatment",
        justification="Z",
        format="fhir-bundle",
        package_name="p.zip",
        package_sha256="0" * 64,
        by=record.alice,
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(package_name="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).delete()


def test_the_database_refuses_an_exception_disclosure_without_justification(record):
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            client=record.client,
            recipient_name="X",
            scope=["diagnoses"],
            purpose="Y",
            exception="treatment",
            justification="",
            format="pdf",
            package_name="p.zip",
            package_sha256="0" * 64,
            by=record.alice,
        )
