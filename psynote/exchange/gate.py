"""The one path every disclosure goes through.

    grant = gate.authorise(by, client, scope, date_range, purpose, basis)   # or Refused
    package = gate.export_client(by, client, grant, fmt)                     # logged

`authorise` (in `grants`) checks that the disclosure is covered: by the client's own
authorization (unexpired, unrevoked, naming this scope and date range) or by an exception
from the fixed list in `bases`, with the clinician's justification. Psychotherapy notes go
only under an authorization that names them alone, or an exception 45 CFR 164.508(a)(2)
allows for them; they are always disclosed on their own, and only the disclosing
clinician's own (nobody else may read them). `export_client` builds the package (its
files per format come from `formats`, the 42 CFR part 2 notice from `part2`) and writes
the Disclosure row and its `disclosure.create` audit event in one transaction, so there
is no package without its log entry. Every exporter (pages, API, bulk, CLI) calls these
two.
"""

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.models import Client
from psynote.exchange import package as packages
from psynote.exchange import selection
from psynote.exchange.bases import PSYCHOTHERAPY
from psynote.exchange.formats import (
    BUILDER_SOURCES,
    BUILDERS,
    available_formats,
    psychotherapy_files,
)
from psynote.exchange.grants import (
    Basis,
    DateRange,
    Grant,
    Refused,
    UnderException,
    authorise,
    check_authorization,
    is_issued,
    refuse,
)
from psynote.exchange.models import Authorization, Disclosure
from psynote.exchange.part2 import (
    DEFAULT_NOTICE,
    is_part2,
    part2_notice,
    part2_notice_configured,
)
from psynote.exchange.signing import SigningKeyProblem

__all__ = [
    "BUILDERS",
    "BUILDER_SOURCES",
    "DEFAULT_NOTICE",
    "Basis",
    "DateRange",
    "Grant",
    "Refused",
    "UnderException",
    "authorise",
    "available_formats",
    "export_client",
    "is_part2",
    "part2_notice",
    "part2_notice_configured",
    "record_disclosure",
]


def _package_name(client: Client, disclosure_id: uuid.UUID, at: datetime) -> str:
    return f"psynote-export-{timezone.localtime(at):%Y%m%d}-{str(disclosure_id)[:8]}.zip"


def export_client(
    by: Any, client: Client, grant: Grant, fmt: str, channel: str = Disclosure.Channel.WEB
) -> packages.Package:
    """Build, sign and log the package for `grant`. Raises Refused, never half-logs."""
    if not is_issued(grant) or grant.by.pk != by.pk or grant.client.pk != client.pk:
        raise Refused("This disclosure was not authorised for this user and client.")
    if fmt not in BUILDERS:
        raise refuse(
            by, client, f"Unknown export format {fmt!r}; choose one of {', '.join(BUILDERS)}."
        )
    record_scope = grant.scope - {PSYCHOTHERAPY}
    if record_scope and fmt not in available_formats():
        raise refuse(
            by,
            client,
            f"{Disclosure.Format(fmt).label} export is not available "
            "in this installation yet; choose another format.",
        )
    try:
        with transaction.atomic():
            return _export(by, client, grant, fmt, channel, record_scope)
    except (Refused, SigningKeyProblem) as problem:
        raise refuse(by, client, str(problem)) from None


def _export(
    by: Any, client: Client, grant: Grant, fmt: str, channel: str, record_scope: frozenset[str]
) -> packages.Package:
    if grant.authorization is not None:
        # Lock it and look again: a revocation committed since authorise() wins.
        current = Authorization.objects.select_for_update().get(pk=grant.authorization.pk)
        reason = check_authorization(current, client, grant.scope, grant.date_range)
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
        files.update(psychotherapy_files(by, client, grant.date_range))
    part2 = is_part2(client)
    if part2:
        files["PART2-NOTICE.txt"] = part2_notice(grant)
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
