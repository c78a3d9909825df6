"""The period report a supervisor signs: a PDF of the supervisee's hours by category,
in a package signed with the practice's Ed25519 key.

The package is the practice's export package (`psynote.exchange.package`): the PDF, the
same totals as canonical JSON, `manifest.json` with each file's SHA-256 and
`manifest.sig`, the practice's signature over the manifest. So the report verifies the
way every export does: `psynote verify-export REPORT.zip`, the stand-alone
`scripts/verify_export.py` (docs/verify-export.md), or the report check page, which also
says whether the package is one this practice signed. A changed byte in the PDF no longer
matches the manifest; a changed manifest no longer matches the signature.

The supervisor's signature is recorded like a note's: who, when, their credentials as
signed, and the SHA-256 of the totals document, which enters the audit chain.
"""

import hashlib
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from psynote.audit import log
from psynote.exchange import package as packages
from psynote.exchange import signing, verify
from psynote.hours import access
from psynote.hours.models import Entry, Report
from psynote.hours.totals import Totals, totals
from psynote.lib import canonical_json

PDF_NAME = "supervision-hours.pdf"
JSON_NAME = "supervision-hours.json"
KIND = "supervision-hours-report"
MAX_PACKAGE_BYTES = 20 * 1024 * 1024


class PdfUnavailable(Exception):
    """WeasyPrint or its Pango libraries are missing."""


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the hours report fetches no resources ({url[:60]})")


def report_html(found: Totals, *, signer: Any, signed_at: Any, content_hash: str,
                fingerprint: str, pending: int) -> str:
    return render_to_string("hours/report_pdf.html", {
        "totals": found, "practice": found.supervisee.practice, "signer": signer,
        "signed_at": timezone.localtime(signed_at), "content_hash": content_hash,
        "fingerprint": signing.grouped(fingerprint), "pending": pending,
        "confirmed": [e for e in found.entries if e.is_confirmed],
    })


def html_to_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango is not installed
        raise PdfUnavailable(
            f"The report PDF needs WeasyPrint and the Pango libraries: {error}") from None
    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=None).write_pdf()


@transaction.atomic
def sign_report(*, by: Any, supervisee: Any, start: date, end: date) -> Report:
    """Sign the supervisee's confirmed hours and counted sessions of [start, end]."""
    if not access.supervises(by, supervisee):
        raise ValidationError("Only a supervisor of this supervisee signs their report.")
    if start > end:
        raise ValidationError({"end": "The period ends on or after its first day."})
    if end > timezone.localdate():
        raise ValidationError({"end": "The period cannot end in the future."})
    found = totals(supervisee, start, end)
    pending = sum(1 for e in found.entries if not e.is_confirmed)
    document = found.document()
    content_hash = hashlib.sha256(canonical_json.dumps(document)).hexdigest()
    signed_at = timezone.now()
    report = Report(supervisee=supervisee, signed_by=by, signer_name=by.signature_name,
                    period_start=start, period_end=end, signed_at=signed_at,
                    content_hash=content_hash)
    key = signing.practice_key(supervisee.practice)
    pdf = html_to_pdf(report_html(
        found, signer=by, signed_at=signed_at, content_hash=content_hash,
        fingerprint=signing.fingerprint(signing.raw_public(key)), pending=pending))
    built = packages.build(
        practice=supervisee.practice, name=report.filename,
        files={PDF_NAME: pdf, JSON_NAME: canonical_json.dumps(document)},
        signed={"supervision_hours_report": {str(report.pk): content_hash}},
        created_at=signed_at,
        extra={"report": {"kind": KIND, "id": str(report.pk),
                          "signed_by": by.signature_name, "signed_by_id": by.pk}},
    )
    report.package, report.package_sha256 = built.data, built.sha256
    report.save(force_insert=True)
    log.record_by(by, "hours.report_sign", target_type="hours_report", target_id=report.pk,
                  detail={"supervisee_id": supervisee.pk, "content_hash": content_hash,
                          "package_sha256": built.sha256})
    return report


def check_package(practice: Any, data: bytes) -> tuple[dict[str, Any], list[str]]:
    """(facts, problems) of an uploaded report package, checked as `verify-export` does,
    against this practice's key on record, and looked up among the reports it signed."""
    if len(data) > MAX_PACKAGE_BYTES:
        return {}, ["The file is larger than any report package."]
    public = signing.known_public_key(practice)
    if public is None:
        return {}, ["This practice has not signed any report yet."]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.zip"
        path.write_bytes(data)
        try:
            facts, problems = verify.check(verify.Package(path), signing.fingerprint(public))
        except (verify.Unreadable, OSError, ValueError, EOFError) as error:
            return {}, [f"The file is not a report package: {error}"]
        except Exception as error:  # zlib and zipfile raise a handful of types on bad input
            return {}, [f"The file is not a readable report package ({type(error).__name__})."]
    digest = hashlib.sha256(data).hexdigest()
    report = Report.objects.filter(package_sha256=digest,
                                   supervisee__practice_id=practice.pk).first()
    facts["report"] = report
    if report is None and not problems:
        problems.append("The package is intact, but it is not a report on record here.")
    return facts, problems


def unconfirmed_count(supervisee: Any, start: date, end: date) -> int:
    return Entry.objects.filter(supervisee_id=supervisee.pk, date__gte=start, date__lte=end,
                                confirmed_at__isnull=True).count()
