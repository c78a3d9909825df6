"""The one path every disclosure goes through.

    grant = gate.authorise(by, client, scope, date_range, purpose, basis)   # or Refused
    package = gate.export_client(by, client, grant, fmt)                     # logged

`authorise` checks that the disclosure is covered: by the client's own authorization
(unexpired, unrevoked, naming this scope and date range) or by an exception from the
fixed list in `bases`, with the clinician's justification. Psychotherapy notes go only
under an authorization that names them alone, or an exception DOMAIN.md §1.2 allows for
them; they are always disclosed on their own, and only the disclosing clinician's own
(nobody else may read them). `export_client` builds the package and writes the
Disclosure row and its `disclosure.create` audit event in one transaction, so there is
no package without its log entry. Every exporter (pages, API, bulk, CLI) calls these two.

Format builders receive the scope without psychotherapy notes: those never enter FHIR
resources or the PDF record; when authorised, they travel as their own document in the
package (`psychotherapy-notes.json` and `.txt`).
"""

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.exchange import package as packages
from psynote.exchange import selection
from psynote.exchange.bases import EXCEPTIONS, KINDS, PSYCHOTHERAPY, kind_labels
from psynote.exchange.models import Authorization, Disclosure, RecordFlag
from psynote.exchange.signing import SigningKeyProblem
from psynote.lib import canonical_json

DateRange = tuple[date | None, date | None]
_ISSUED = object()  # only authorise() makes Grants

PART2_PLACEHOLDER = """\
PLACEHOLDER: 42 CFR PART 2 NOTICE NOT CONFIGURED
================================================

This package comes from a record that the practice has marked as containing
substance-use-disorder records protected by federal confidentiality rules (42 CFR
part 2). Each such disclosure must carry the written statement prescribed by
42 CFR 2.32(a), in its current (2024) wording.

Psynote does not ship that statement, because its current text could not be confirmed
verbatim. The practice must copy the current text of 42 CFR 2.32(a) from the eCFR
(https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/section-2.32)
into a text file and set PSYNOTE_PART2_NOTICE_FILE to its path. Until then, this
placeholder is sent in its place: do not rely on it as the required notice.
"""


class Refused(Exception):
    """A disclosure is not covered; the message says why, in plain words."""


@dataclass(frozen=True)
class UnderException:
    """Disclosure without an authorization: an exception code and why it applies."""

    code: str
    justification: str
    recipient_name: str
    recipient_organisation: str = ""
    recipient_contact: str = ""


Basis = Authorization | UnderException


@dataclass(frozen=True)
class Grant:
    by: Any
    client: Client
    scope: frozenset[str]
    date_range: DateRange
    purpose: str
    authorization: Authorization | None
    exception: str
    justification: str
    recipient_name: str
    recipient_organisation: str
    recipient_contact: str
    _token: object = field(default=None, repr=False, compare=False)


def _refuse(by: Any, client: Client, reason: str) -> Refused:
    log.record_by(
        by,
        "disclosure.refused",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"reason": reason},
    )
    return Refused(reason)


def _check_authorization(
    authorization: Authorization, client: Client, scope: frozenset[str], date_range: DateRange
) -> str | None:
    """Why `authorization` does not cover this disclosure, or None when it does."""
    if authorization.client_id != client.pk:
        return "That authorization is not this client's."
    if authorization.is_revoked:
        return (
            f"That authorization was revoked on "
            f"{timezone.localtime(authorization.revoked_at):%Y-%m-%d}."
        )
    if authorization.is_expired():
        return f"That authorization expired on {authorization.expires_on:%Y-%m-%d}."
    missing = scope - authorization.scope
    if missing:
        return (
            f"That authorization does not cover {kind_labels(missing)}; it covers "
            f"{authorization.scope_display} only."
        )
    start, end = date_range
    if authorization.date_from and (start is None or start < authorization.date_from):
        return (
            f"That authorization covers records from {authorization.date_from:%Y-%m-%d} "
            "on; choose a start date on or after it."
        )
    if authorization.date_to and (end is None or end > authorization.date_to):
        return (
            f"That authorization covers records up to {authorization.date_to:%Y-%m-%d}; "
            "choose an end date on or before it."
        )
    if PSYCHOTHERAPY in scope and authorization.scope != {PSYCHOTHERAPY}:
        # The database refuses such an authorization too; this is the second lock.
        return "Psychotherapy notes need an authorization that names them alone."
    return None


def authorise(
    by: Any, client: Client, scope: object, date_range: DateRange, purpose: str, basis: Basis
) -> Grant:
    """A Grant for this disclosure, or Refused with a message for the clinician."""
    scope = frozenset(scope)  # type: ignore[arg-type]
    if not getattr(by, "is_authenticated", False) or not can(by, client, Need.WRITE_CLINICAL):
        raise _refuse(
            by, client, "Only clinicians on the client's care team may disclose their record."
        )
    unknown = scope - set(KINDS)
    if unknown:
        raise _refuse(by, client, f"Unknown record kinds: {', '.join(sorted(unknown))}.")
    if not scope:
        raise _refuse(by, client, "Choose what to disclose: at least one part of the record.")
    if PSYCHOTHERAPY in scope and scope != {PSYCHOTHERAPY}:
        raise _refuse(
            by,
            client,
            "Psychotherapy notes are disclosed on their own: disclose "
            "them separately from the rest of the record.",
        )
    start, end = date_range
    if start and end and start > end:
        raise _refuse(by, client, "The date range ends before it starts.")
    purpose = (purpose or "").strip()
    if not purpose:
        raise _refuse(by, client, "Say what the disclosure is for (its purpose).")

    if isinstance(basis, Authorization):
        reason = _check_authorization(basis, client, scope, date_range)
        if reason:
            raise _refuse(by, client, reason)
        recipient = (basis.recipient_name, basis.recipient_organisation, basis.recipient_contact)
        authorization, code, justification = basis, "", ""
    elif isinstance(basis, UnderException):
        exception = EXCEPTIONS.get(basis.code)
        if exception is None:
            raise _refuse(by, client, "Choose an authorization, or one of the listed exceptions.")
        justification = (basis.justification or "").strip()
        if not justification:
            raise _refuse(
                by,
                client,
                f"Disclosing under “{exception.label}” needs your "
                "justification: say why the exception applies.",
            )
        if PSYCHOTHERAPY in scope and not exception.psychotherapy_notes:
            raise _refuse(
                by,
                client,
                f"Psychotherapy notes cannot be disclosed under "
                f"“{exception.label}”: they need the client's "
                "authorization naming psychotherapy notes alone.",
            )
        if not (basis.recipient_name or "").strip():
            raise _refuse(by, client, "Name the recipient of the disclosure.")
        recipient = (
            basis.recipient_name.strip(),
            basis.recipient_organisation.strip(),
            basis.recipient_contact.strip(),
        )
        authorization, code = None, exception.code
    else:
        raise _refuse(
            by, client, "A disclosure needs a basis: the client's authorization or an exception."
        )
    return Grant(
        by=by,
        client=client,
        scope=scope,
        date_range=(start, end),
        purpose=purpose,
        authorization=authorization,
        exception=code,
        justification=justification,
        recipient_name=recipient[0],
        recipient_organisation=recipient[1],
        recipient_contact=recipient[2],
        _token=_ISSUED,
    )


# --- format builders ------------------------------------------------------------------


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A builder another part of Psynote provides, or None while it does not exist yet."""
    import importlib

    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            return None
        raise
    return getattr(found, name, None)


def _json_file(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _ndjson_files(output: Any) -> dict[str, bytes]:
    """Resource type → resources (or file name → bytes/text) as the package's files."""
    if not isinstance(output, Mapping):
        raise TypeError("client_ndjson must return a mapping of files")
    files: dict[str, bytes] = {}
    for key, value in output.items():
        if isinstance(value, bytes | str):
            body = value.encode() if isinstance(value, str) else value
            files[key if "." in key else f"{key}.ndjson"] = body
        elif isinstance(value, dict):
            files[key if "." in key else f"{key}.json"] = _json_file(value)
        else:
            lines = [canonical_json.dumps(resource) for resource in value]
            files[f"{key}.ndjson"] = b"".join(line + b"\n" for line in lines)
    return files


def _fhir_bundle(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.fhir.build", "client_bundle")
    if builder is None:
        return None
    return {"bundle.json": _json_file(builder(client, scope, date_range))}


def _fhir_ndjson(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.fhir.build", "client_ndjson")
    if builder is None:
        return None
    return _ndjson_files(builder(client, scope, date_range))


def _pdf(
    client: Client, scope: frozenset[str], date_range: DateRange, grant: "Grant"
) -> dict[str, bytes] | None:
    builder = _optional("psynote.exchange.pdf", "client_pdf")
    if builder is None:
        return None
    recipient = ", ".join(
        part for part in (grant.recipient_name, grant.recipient_organisation) if part
    )
    pdf = builder(client, scope, date_range, recipient=recipient, purpose=grant.purpose)
    return {"record.pdf": pdf}


BUILDERS: dict[str, Callable[..., dict[str, bytes] | None]] = {
    Disclosure.Format.FHIR_BUNDLE: _fhir_bundle,
    Disclosure.Format.FHIR_NDJSON: _fhir_ndjson,
    Disclosure.Format.PDF: _pdf,
}
BUILDER_SOURCES = {
    Disclosure.Format.FHIR_BUNDLE: ("psynote.exchange.fhir.build", "client_bundle"),
    Disclosure.Format.FHIR_NDJSON: ("psynote.exchange.fhir.build", "client_ndjson"),
    Disclosure.Format.PDF: ("psynote.exchange.pdf", "client_pdf"),
}


def available_formats() -> list[str]:
    return [
        fmt
        for fmt, (module, name) in BUILDER_SOURCES.items()
        if _optional(module, name) is not None
    ]


def _psychotherapy_files(by: Any, client: Client, date_range: DateRange) -> dict[str, bytes]:
    notes = list(selection.psychotherapy_notes(by, client, date_range))
    document = {
        "kind": "psychotherapy_notes",
        "note": "Psychotherapy notes (45 CFR 164.501), disclosed under an authorization "
        "naming them alone or an exception that permits them. Kept apart from the "
        "medical record.",
        "client": {
            "name": f"{client.first_name} {client.last_name}",
            "date_of_birth": client.date_of_birth.isoformat(),
        },
        "author": by.signature_name,
        "notes": [
            {
                "id": str(n.pk),
                "session_date": n.session.date.isoformat() if n.session else None,
                "written_at": timezone.localtime(n.created_at).isoformat(),
                "updated_at": timezone.localtime(n.updated_at).isoformat(),
                "body": n.body(),
            }
            for n in notes
        ],
    }
    lines = [
        "PSYCHOTHERAPY NOTES",
        "",
        f"Client: {document['client']['name']} (born {document['client']['date_of_birth']})",
        f"Author: {by.signature_name}",
        "",
    ]
    for entry in document["notes"]:
        lines += [f"--- {entry['session_date'] or entry['written_at'][:10]} ---", entry["body"], ""]
    return {
        "psychotherapy-notes.json": _json_file(document),
        "psychotherapy-notes.txt": "\n".join(lines).encode(),
    }


def part2_notice() -> bytes:
    path = getattr(settings, "PART2_NOTICE_FILE", None)
    if path is not None and path.is_file():
        return path.read_bytes()
    return PART2_PLACEHOLDER.encode()


def part2_notice_configured() -> bool:
    path = getattr(settings, "PART2_NOTICE_FILE", None)
    return path is not None and path.is_file()


def is_part2(client: Client) -> bool:
    return RecordFlag.objects.filter(client=client, part2=True).exists()


def _package_name(client: Client, disclosure_id: uuid.UUID, at: datetime) -> str:
    return f"psynote-export-{timezone.localtime(at):%Y%m%d}-{str(disclosure_id)[:8]}.zip"


# --- the export -----------------------------------------------------------------------


def export_client(
    by: Any, client: Client, grant: Grant, fmt: str, channel: str = Disclosure.Channel.WEB
) -> packages.Package:
    """Build, sign and log the package for `grant`. Raises Refused, never half-logs."""
    if grant._token is not _ISSUED or grant.by.pk != by.pk or grant.client.pk != client.pk:
        raise Refused("This disclosure was not authorised for this user and client.")
    if fmt not in BUILDERS:
        raise _refuse(
            by, client, f"Unknown export format {fmt!r}; choose one of {', '.join(BUILDERS)}."
        )
    record_scope = grant.scope - {PSYCHOTHERAPY}
    if record_scope and fmt not in available_formats():
        raise _refuse(
            by,
            client,
            f"{Disclosure.Format(fmt).label} export is not available "
            "in this installation yet; choose another format.",
        )
    try:
        with transaction.atomic():
            return _export(by, client, grant, fmt, channel, record_scope)
    except (Refused, SigningKeyProblem) as problem:
        raise _refuse(by, client, str(problem)) from None


def _export(
    by: Any, client: Client, grant: Grant, fmt: str, channel: str, record_scope: frozenset[str]
) -> packages.Package:
    if grant.authorization is not None:
        # Lock it and look again: a revocation committed since authorise() wins.
        current = Authorization.objects.select_for_update().get(pk=grant.authorization.pk)
        reason = _check_authorization(current, client, grant.scope, grant.date_range)
        if reason:
            raise Refused(reason)
    now = timezone.now()
    disclosure_id = uuid.uuid4()
    chosen = selection.select(by, client, grant.scope, grant.date_range)
    files: dict[str, bytes] = {}
    if record_scope:
        built = BUILDERS[fmt](client, record_scope, grant.date_range, grant)
        if built is None:
            raise Refused(f"{Disclosure.Format(fmt).label} export is not available.")
        files.update(built)
    if PSYCHOTHERAPY in grant.scope:
        files.update(_psychotherapy_files(by, client, grant.date_range))
    part2 = is_part2(client)
    if part2:
        files["PART2-NOTICE.txt"] = part2_notice()
    start, end = grant.date_range
    package = packages.build(
        practice=client.practice,
        name=_package_name(client, disclosure_id, now),
        files=files,
        signed=chosen.signed,
        created_at=now,
        extra={
            "disclosure_id": str(disclosure_id),
            "scope": sorted(grant.scope),
            "date_range": [str(start or ""), str(end or "")],
        },
    )
    record_disclosure(
        grant=grant,
        fmt=fmt,
        channel=channel,
        package=package,
        chosen=chosen,
        disclosure_id=disclosure_id,
        at=now,
        part2=part2,
    )
    return package


def record_disclosure(
    *,
    grant: Grant,
    fmt: str,
    channel: str,
    package: packages.Package,
    chosen: selection.Selection,
    disclosure_id: uuid.UUID,
    at: datetime,
    part2: bool,
) -> Disclosure:
    """The log entry and its audit event; call inside the transaction that built the package."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_disclosure must run in the export's transaction")
    start, end = grant.date_range
    disclosure = Disclosure.objects.create(
        id=disclosure_id,
        client=grant.client,
        disclosed_at=at,
        recipient_name=grant.recipient_name,
        recipient_organisation=grant.recipient_organisation,
        recipient_contact=grant.recipient_contact,
        scope=sorted(grant.scope),
        date_from=start,
        date_to=end,
        record_ids=chosen.ids,
        record_count=chosen.count,
        purpose=grant.purpose,
        authorization=grant.authorization,
        exception=grant.exception,
        justification=grant.justification,
        format=fmt,
        channel=channel,
        package_name=package.name,
        package_sha256=package.sha256,
        part2_notice=part2,
        by=grant.by,
    )
    log.record_by(
        grant.by,
        "disclosure.create",
        target_type="disclosure",
        target_id=disclosure.pk,
        client_id=grant.client.pk,
        detail={
            "format": fmt,
            "channel": channel,
            "scope": sorted(grant.scope),
            "records": chosen.count,
            "package_sha256": package.sha256,
            "authorization": str(grant.authorization.pk) if grant.authorization else "",
            "exception": grant.exception,
            "part2_notice": part2,
        },
    )
    return disclosure
