"""The PDF of a client's record for a date range, as a receiving clinician reads it.

    client_pdf(client, scope, date_range) -> bytes     # what the disclosure gate calls
    client_html(client, scope, date_range) -> str      # the same document before printing

Only the gate calls `client_pdf`, with a scope it has authorised and without psychotherapy
notes (those travel as their own document). Which records appear is decided by
`selection`, the same definition the disclosure log and the package manifest use, so the
PDF, the log and the manifest agree: signed progress notes and signed plan versions only,
never a draft. The HTML is rendered first and kept testable on its own; WeasyPrint turns
it into the PDF with the print stylesheet beside the template. It fetches nothing: every
chart is inline SVG and the stylesheet is passed as a string.

The last page, the integrity certificate, repeats what the package manifest vouches for at
render time (signed records' hashes, audit chain head, signing-key fingerprint). The PDF
cannot carry its own hash; the manifest does, and docs/verify-export.md says how to check.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from psynote.clients.models import Client
from psynote.exchange import gate, selection, signing
from psynote.exchange import package as packages
from psynote.exchange.bases import PSYCHOTHERAPY, RecordKind, kind_labels
from psynote.measures import charts, library
from psynote.measures.outcomes import reported
from psynote.notes.models import Addendum, ProgressNote
from psynote.notes.templates import (
    HI_CHOICES,
    INTERVENTIONS,
    MSE_FIELDS,
    RISK_LEVELS,
    RISK_TEXT_FIELDS,
    SI_CHOICES,
)
from psynote.visits.models import Session

DateRange = tuple[date | None, date | None]
STYLESHEET = Path(__file__).parent / "templates" / "exchange" / "pdf" / "record.css"
VERIFY_DOC = "docs/verify-export.md"

_INTERVENTIONS = dict(INTERVENTIONS)
_SI = dict(SI_CHOICES)
_HI = dict(HI_CHOICES)
_RISK_LEVELS = dict(RISK_LEVELS)


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@dataclass
class NoteView:
    note: ProgressNote
    template_name: str
    session: dict[str, str]
    sections: list[tuple[str, str]]
    mse: list[tuple[str, str]]
    risk: dict[str, Any]
    interventions: list[str]
    diagnoses: list[tuple[str, str]]
    objectives: list[dict[str, str]]
    no_objective_reason: str
    late_reason: str
    signed_at: str
    addenda: list[dict[str, str]] = field(default_factory=list)
    cosignature: dict[str, str] | None = None


def _session_facts(note: ProgressNote, content: dict[str, Any]) -> dict[str, str]:
    """The session as the signature sealed it (content["session"]), labels in words."""
    facts = content.get("session") or {}
    session = note.session
    return {
        "date": facts.get("date") or session.date.isoformat(),
        "time": f"{facts.get('start', '')}–{facts.get('end', '')}" if facts else "",
        "minutes": str(facts.get("minutes") or session.minutes or ""),
        "service": session.get_service_display()
        + (f"; with: {', '.join(facts['participants'])}" if facts.get("participants") else ""),
        "modality": _label(Session.Modality, facts.get("modality") or session.modality),
        "place": _label(Session.Place, facts.get("place") or session.place),
    }


def _cosignature(note: ProgressNote) -> dict[str, str] | None:
    """The supervisor's approval or co-signature (psynote.supervision), part of the record."""
    signed = getattr(note, "cosignature", None)
    if signed is None:
        return None
    return {"label": signed.label, "signer_name": signed.signer_name,
            "signed_at": _local(signed.signed_at), "content_hash": signed.content_hash}


def note_view(note: ProgressNote, addenda: list[Addendum], described: dict[str, str]) -> NoteView:
    content = note.content()
    template = note.template_def  # the version it was written with (ADR 0015)
    sections = [(s.label, content.get("sections", {}).get(s.key, "")) for s in template.sections]
    mse_values = content.get("mse", {})
    risk = content.get("risk") or {}
    interventions = [_INTERVENTIONS.get(key, key) for key in content.get("interventions", [])]
    if content.get("interventions_other"):
        interventions.append(content["interventions_other"])
    return NoteView(
        note=note,
        template_name=template.name,
        session=_session_facts(note, content),
        sections=[(label, text) for label, text in sections if text],
        mse=[(label, mse_values.get(key, "")) for key, label in MSE_FIELDS if mse_values.get(key)],
        risk={
            "flagged": bool(risk.get("flagged")),
            "si": _SI.get(risk.get("si", "none"), risk.get("si", "")),
            "hi": _HI.get(risk.get("hi", "none"), risk.get("hi", "")),
            "level": _RISK_LEVELS.get(risk.get("level", ""), risk.get("level", "")),
            "details": [(label, risk[key]) for key, label in RISK_TEXT_FIELDS if risk.get(key)],
        },
        interventions=interventions,
        diagnoses=[(code, described.get(code, "")) for code in content.get("diagnosis_codes", [])],
        objectives=content.get("objectives") or [],
        no_objective_reason=content.get("no_objective_reason", ""),
        late_reason=content.get("late_reason", ""),
        signed_at=_local(note.signed_at),
        cosignature=_cosignature(note),
        addenda=[
            {
                "number": str(n),
                "kind": a.get_kind_display(),
                "body": a.body(),
                "signer_name": a.signer_name,
                "signed_at": _local(a.signed_at),
                "content_hash": a.content_hash,
            }
            for n, a in enumerate(addenda, 1)
        ],
    )


def _notes(client: Client, date_range: DateRange, described: dict[str, str]) -> list[NoteView]:
    notes = list(selection.progress_notes(client, date_range).select_related(
        "session", "client", "template_version__template", "cosignature"))
    by_note: dict[Any, list[Addendum]] = {}
    for addendum in selection.addenda(selection.progress_notes(client, date_range)):
        by_note.setdefault(addendum.note_id, []).append(addendum)
    views = []
    for note in notes:
        attached = by_note.get(note.pk, [])
        for addendum in attached:
            addendum.note = note  # body() opens with the client's key; no query per addendum
        views.append(note_view(note, attached, described))
    return views


def _measures(client: Client, date_range: DateRange) -> list[dict[str, Any]]:
    instruments = library.load_all()
    grouped: dict[str, list[Any]] = {}
    for administration in selection.measures(client, date_range):
        if administration.instrument in instruments:
            grouped.setdefault(administration.instrument, []).append(administration)
    result = []
    for key, instrument in instruments.items():
        administrations = grouped.get(key)
        if not administrations:
            continue
        points = [(a.administered_at, reported(a)) for a in administrations]
        result.append(
            {
                "instrument": instrument,
                # trend_chart escapes every text it draws and emits no script or style.
                "chart": mark_safe(  # noqa: S308
                    charts.trend_chart(instrument, points, chart_id=f"pdf-trend-{key}")
                ),
                "rows": [
                    {
                        "when": _local(a.administered_at),
                        "score": reported(a),
                        "band": a.band,
                        "source": a.get_source_display(),
                    }
                    for a in administrations
                ],
            }
        )
    return result


def _plans(client: Client, date_range: DateRange, described: dict[str, str]) -> dict | None:
    versions = selection.plan_versions(client, date_range)
    if versions is None:
        return None
    versions = list(versions)
    if not versions:
        return {"current": None, "earlier": []}
    from psynote.plans.models import AgreementMethod, Objective

    current = versions[-1]
    structure = current.structure()
    problems = []
    for problem in structure["problems"]:
        code = problem.get("diagnosis_code") or ""
        problems.append(
            {
                **problem,
                "diagnosis": f"{code} {described.get(code, '')}".strip(),
                "goals": [
                    {
                        **goal,
                        "objectives": [
                            {**o, "status_label": _label(Objective.Status, o["status"])}
                            for o in goal["objectives"]
                        ],
                    }
                    for goal in problem["goals"]
                ],
            }
        )
    return {
        "current": {
            "number": current.number,
            "signer_name": current.signer_name,
            "signed_at": _local(current.signed_at),
            "content_hash": current.content_hash,
            "agreement_date": structure.get("client_agreement_date") or "",
            "agreement_method": _label(
                AgreementMethod, structure.get("client_agreement_method") or ""
            ),
            "review_due": structure.get("review_due") or "",
            "problems": problems,
        },
        "earlier": [
            {
                "number": v.number,
                "signer_name": v.signer_name,
                "signed_at": _local(v.signed_at),
                "content_hash": v.content_hash,
            }
            for v in versions[:-1]
        ],
    }


def _certificate(client: Client, scope: frozenset[str], date_range: DateRange) -> dict[str, Any]:
    chosen = selection.select(None, client, scope, date_range)
    public = signing.raw_public(signing.practice_key(client.practice))
    labels = {"progress_notes": "Progress note", "addenda": "Addendum", "plans": "Plan version"}
    return {
        "signed": [
            {"kind": labels.get(kind, kind), "id": record_id, "hash": digest}
            for kind, records in chosen.signed.items()
            for record_id, digest in records.items()
        ],
        "chain_head": packages.chain_head(client.practice_id),
        "fingerprint": signing.grouped(signing.fingerprint(public)),
        "verify_doc": VERIFY_DOC,
    }


def _period(date_range: DateRange) -> str:
    start, end = date_range
    if start and end:
        return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    if start:
        return f"from {start:%Y-%m-%d}"
    if end:
        return f"up to {end:%Y-%m-%d}"
    return "all dates"


def client_html(
    client: Client,
    scope: Iterable[str],
    date_range: DateRange = (None, None),
    *,
    recipient: str = "",
    purpose: str = "",
    generated_at: datetime | None = None,
) -> str:
    """The record as one HTML document for print; psychotherapy notes are never in it."""
    scope = frozenset(scope) - {PSYCHOTHERAPY}
    diagnoses = client.diagnoses.in_chart_order()
    described = {d.code: d.description for d in diagnoses}
    part2 = gate.is_part2(client)
    context = {
        "practice": client.practice,
        "client": client,
        "period": _period(date_range),
        "scope_display": kind_labels(scope),
        "recipient": recipient,
        "purpose": purpose,
        "generated_at": _local(generated_at or timezone.now()),
        "part2": part2,
        "part2_notice": gate.part2_notice().decode("utf-8", errors="replace") if part2 else "",
        "demographics": RecordKind.DEMOGRAPHICS in scope,
        "diagnoses": diagnoses if RecordKind.DIAGNOSES in scope else None,
        "plans": _plans(client, date_range, described) if RecordKind.PLANS in scope else None,
        "measures": _measures(client, date_range) if RecordKind.MEASURES in scope else None,
        "notes": (
            _notes(client, date_range, described) if RecordKind.PROGRESS_NOTES in scope else None
        ),
        "certificate": _certificate(client, scope, date_range),
    }
    return render_to_string("exchange/pdf/record.html", context)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    # The document is self-contained; a URL in it (none is expected) must not reach out.
    raise ValueError(f"the PDF export fetches no resources ({url[:60]})")


def html_to_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango is not installed
        # The gate turns Refused into a clear message and a logged refusal, never a 500.
        raise gate.Refused(
            f"PDF export needs WeasyPrint and the Pango libraries, which are missing: {error}"
        ) from None
    stylesheet = weasyprint.CSS(string=STYLESHEET.read_text(), url_fetcher=_refuse_fetch)
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=None)
    return document.write_pdf(stylesheets=[stylesheet])


def client_pdf(
    client: Client,
    scope: Iterable[str],
    date_range: DateRange = (None, None),
    *,
    recipient: str = "",
    purpose: str = "",
) -> bytes:
    return html_to_pdf(client_html(client, scope, date_range, recipient=recipient, purpose=purpose))


def accounting_html(client: Client, rows: list[dict[str, Any]], today: date, since: date) -> str:
    """The accounting of disclosures (45 CFR 164.528) as one HTML document for print.

    `rows` are what the accounting page shows: each disclosure with its description and
    purpose from `accounting`, so the page, the CSV and the PDF list the same entries."""
    return render_to_string(
        "exchange/pdf/accounting.html",
        {
            "practice": client.practice,
            "client": client,
            "rows": rows,
            "today": today,
            "since": since,
            "generated_at": _local(timezone.now()),
        },
    )


def accounting_pdf(client: Client, rows: list[dict[str, Any]], today: date, since: date) -> bytes:
    return html_to_pdf(accounting_html(client, rows, today, since))
