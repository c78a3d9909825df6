"""The accounting of disclosures as a PDF: the same entries as the page and the CSV."""

from datetime import date

from django.utils import timezone

from psynote.audit.models import AuditEvent
from psynote.exchange import accounting, pdf
from psynote.exchange.tests.test_accounting import disclose


def rows_for(client):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    entries = accounting.entries(client, today)
    rows = [
        {
            "disclosure": d,
            "description": accounting.description(d),
            "purpose": accounting.purpose(d),
        }
        for d in entries
    ]
    return rows, today, accounting.period_start(today)


def test_the_accounting_pdf_lists_accountable_disclosures_and_leaves_out_exempt_ones(record):
    disclose(record, date(2025, 1, 2), exception="required_by_law", justification="Court order.")
    disclose(record, date(2025, 3, 2), exception="treatment", justification="Referral.")
    rows, today, since = rows_for(record.client)
    text = pdf.accounting_html(record.client, rows, today, since)
    assert "Accounting of disclosures" in text
    assert "2025-01-02" in text and "Fictional County Court" in text
    assert "1 Imaginary Plaza" in text and "Subpoena" in text
    assert "2025-03-02" not in text
    assert pdf.accounting_pdf(record.client, rows, today, since).startswith(b"%PDF-")


def test_the_accounting_downloads_as_pdf_and_the_read_is_audited(record, login):
    disclose(record, date(2025, 1, 2), exception="required_by_law", justification="Court order.")
    response = login(record.alice).get(
        f"/clients/{record.client.pk}/accounting-of-disclosures/?format=pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "accounting-of-disclosures-" in response["Content-Disposition"]
    event = AuditEvent.objects.filter(action="disclosure.accounting").latest("seq")
    assert '"format":"pdf"' in event.detail.replace(" ", "")
