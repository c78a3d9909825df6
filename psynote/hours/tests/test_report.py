"""The period report: signed by the supervisor, packaged and signed with the practice's
Ed25519 key like an export; it verifies, and a changed byte of its PDF does not."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.exchange import verify
from psynote.hours import actions
from psynote.hours.models import Report
from psynote.hours.report import JSON_NAME, PDF_NAME, check_package, sign_report


def _period():
    today = timezone.localdate()
    return today - timedelta(days=30), today


@pytest.fixture
def signed(cast, log):
    t.make_session(cast.supervisee_client, cast.sue,
                   day=timezone.localdate() - timedelta(days=2), minutes=50)
    actions.confirm_entry(by=cast.sam, entry=log(60, notes="Fictional private reflections."))
    log(45, category="Group supervision")  # not confirmed: left out
    start, end = _period()
    return sign_report(by=cast.sam, supervisee=cast.sue, start=start, end=end)


def _tampered(data: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info, change(body) if info.filename == name else body)
    return out.getvalue()


def _check(tmp_path: Path, data: bytes):
    path = tmp_path / "report.zip"
    path.write_bytes(data)
    return verify.check(verify.Package(path))


def test_the_signed_report_verifies(cast, signed, tmp_path):
    data = bytes(signed.package)
    facts, problems = _check(tmp_path, data)
    assert problems == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdf = archive.read(PDF_NAME)
        document = archive.read(JSON_NAME).decode()
    assert pdf.startswith(b"%PDF-")
    assert '"minutes":60' in document and '"minutes":50' in document
    assert "Fictional private reflections" not in document
    assert "Casey" not in document and "Madeup" not in document  # no client is named
    assert (signed.signed_by, signed.signer_name) == (cast.sam, cast.sam.signature_name)
    # The same check as `psynote verify-export`, and the report check page.
    assert verify.main([str(tmp_path / "report.zip")]) == 0
    facts, problems = check_package(cast.practice, data)
    assert problems == [] and facts["report"] == signed


def test_a_tampered_pdf_fails_verification(cast, signed, tmp_path, login):
    data = _tampered(bytes(signed.package), PDF_NAME,
                     lambda body: body[:200] + bytes([body[200] ^ 1]) + body[201:])
    facts, problems = _check(tmp_path, data)
    assert any(p.startswith(f"changed: {PDF_NAME}") for p in problems)
    assert verify.main([str(tmp_path / "report.zip")]) == 1
    page = login(cast.sue).post("/hours/reports/verify/",
                                {"package": SimpleUploadedFile("r.zip", data)})
    assert page.status_code == 200
    assert "Not verified" in page.content.decode()
    assert f"changed: {PDF_NAME}" in page.content.decode()


def test_a_tampered_manifest_fails_its_signature(cast, signed, tmp_path):
    data = _tampered(bytes(signed.package), verify.MANIFEST,
                     lambda body: body.replace(b"Fictional Test Practice", b"Other Practice", 1))
    _, problems = _check(tmp_path, data)
    assert any(p.startswith("signature:") for p in problems)


def test_the_check_page(cast, signed, login):
    ok = login(cast.sam).post("/hours/reports/verify/", {
        "package": SimpleUploadedFile("r.zip", bytes(signed.package))})
    assert "Verified" in ok.content.decode()
    junk = login(cast.sam).post("/hours/reports/verify/", {
        "package": SimpleUploadedFile("r.zip", b"not a zip at all")})
    assert junk.status_code == 200
    assert "Not verified" in junk.content.decode()
    empty = login(cast.sam).post("/hours/reports/verify/", {})
    assert empty.status_code == 400
    for who in (cast.fred, cast.pria):
        assert login(who).get("/hours/reports/verify/").status_code == 404


def test_the_supervisor_signs_on_the_page_and_both_download(cast, login, log):
    actions.confirm_entry(by=cast.sam, entry=log(60))
    start, end = _period()
    response = login(cast.sam).post(f"/hours/supervisees/{cast.sue.pk}/reports/",
                                    {"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 302
    report = Report.objects.get()
    event = AuditEvent.objects.filter(payload__contains='"hours.report_sign"').get()
    assert report.content_hash in event.payload
    for who in (cast.sam, cast.sue):
        download = login(who).get(f"/hours/reports/{report.pk}/")
        assert download.status_code == 200
        assert download["Content-Type"] == "application/zip"
    for who in (cast.alice, cast.bob, cast.ada, cast.fred, cast.pria):
        assert login(who).get(f"/hours/reports/{report.pk}/").status_code == 404


def test_bad_periods_and_strangers_are_refused(cast, login):
    today = timezone.localdate()
    url = f"/hours/supervisees/{cast.sue.pk}/reports/"
    bad = login(cast.sam).post(url, {"start": today.isoformat(),
                                     "end": (today - timedelta(days=3)).isoformat()})
    assert bad.status_code == 400
    assert "comes before its last day" in bad.content.decode()
    future = login(cast.sam).post(url, {"start": today.isoformat(),
                                        "end": (today + timedelta(days=3)).isoformat()})
    assert future.status_code == 400
    assert "cannot end in the future" in future.content.decode()
    assert login(cast.sam).post(url, {"start": "nope"}).status_code == 400
    for who in (cast.sue, cast.alice, cast.bob, cast.ada):
        assert login(who).post(url, {"start": today.isoformat(),
                                     "end": today.isoformat()}).status_code == 404
    with pytest.raises(ValidationError):
        sign_report(by=cast.bob, supervisee=cast.sue, start=today, end=today)
    assert not Report.objects.exists()


def test_a_signed_report_never_changes(signed):
    with pytest.raises(DatabaseError), transaction.atomic():
        Report.objects.filter(pk=signed.pk).update(signer_name="Someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        Report.objects.filter(pk=signed.pk).delete()
