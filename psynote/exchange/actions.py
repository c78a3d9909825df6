"""Writes to authorizations and record flags, each with its audit event.

Disclosures are written only by `gate.export_client`, in the transaction that builds
their package.
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.clients.models import Client
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.models import Authorization, RecordFlag

MAX_FORM_BYTES = 10 * 1024 * 1024

# The signed form's type is read from its first bytes; what the browser claims is ignored.
_MAGIC = (
    (b"%PDF-", Authorization.SignedForm.PDF),
    (b"\x89PNG\r\n\x1a\n", Authorization.SignedForm.PNG),
    (b"\xff\xd8\xff", Authorization.SignedForm.JPEG),
)

PSYCHOTHERAPY_ALONE = (
    "An authorization for psychotherapy notes must name psychotherapy notes alone "
    "(45 CFR 164.508(a)(2)). Make a separate authorization for the rest of the record."
)


def sniff(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _clean_scope(scope: object) -> frozenset[str]:
    chosen = frozenset(scope or ())  # type: ignore[arg-type]
    unknown = chosen - set(KINDS)
    if unknown:
        raise ValidationError({"scope": f"Unknown record kinds: {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"scope": "Choose at least one part of the record."})
    if PSYCHOTHERAPY in chosen and len(chosen) > 1:
        raise ValidationError({"scope": PSYCHOTHERAPY_ALONE})
    return chosen


@transaction.atomic
def create_authorization(
    *,
    by: Any,
    client: Client,
    recipient_name: str,
    purpose: str,
    expires_on: date,
    scope: object,
    recipient_organisation: str = "",
    recipient_contact: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    signed_form: bytes | None = None,
    signed_form_name: str = "",
    signed_on_screen_name: str = "",
) -> Authorization:
    errors: dict[str, str] = {}
    chosen: frozenset[str] = frozenset()
    try:
        chosen = _clean_scope(scope)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    recipient_name = (recipient_name or "").strip()
    purpose = (purpose or "").strip()
    typed_name = (signed_on_screen_name or "").strip()
    if not recipient_name:
        errors["recipient_name"] = "Name the person or organisation receiving the record."
    if not purpose:
        errors["purpose"] = "Say what the disclosure is for."
    if expires_on is None:
        errors["expires_on"] = "An authorization needs an expiry date."
    elif expires_on < timezone.localdate():
        errors["expires_on"] = "The expiry date has already passed."
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = "The date range ends before it starts."
    kind = None
    if signed_form is not None and typed_name:
        errors["signed_on_screen_name"] = (
            "Attach the signed form or have the client sign on screen, not both."
        )
    elif signed_form is None and not typed_name:
        errors["signed_on_screen_name"] = (
            "The client must sign: attach the signed form, or have them type their name on screen."
        )
    elif signed_form is not None:
        if len(signed_form) > MAX_FORM_BYTES:
            errors["signed_form"] = "The signed form is larger than 10 MB."
        elif (kind := sniff(signed_form)) is None:
            errors["signed_form"] = "The signed form must be a PDF, PNG or JPEG file."
    if errors:
        raise ValidationError(errors)

    authorization = Authorization(
        client=client,
        recipient_name=recipient_name,
        recipient_organisation=(recipient_organisation or "").strip(),
        recipient_contact=(recipient_contact or "").strip(),
        purpose=purpose,
        expires_on=expires_on,
        date_from=date_from,
        date_to=date_to,
        created_by=by,
    )
    authorization.set_scope(chosen)
    if signed_form is not None:
        authorization.seal_form(signed_form)
        authorization.signed_form_type = kind
        authorization.signed_form_name = (signed_form_name or "signed form")[:200]
    else:
        authorization.signed_on_screen_name = typed_name[:200]
        authorization.signed_on_screen_at = timezone.now()
    authorization.save()
    log.record_by(
        by,
        "authorization.create",
        target_type="authorization",
        target_id=authorization.pk,
        client_id=client.pk,
        detail={
            "scope": sorted(chosen),
            "expires_on": str(expires_on),
            "signed": "form" if signed_form is not None else "on_screen",
        },
    )
    return authorization


@transaction.atomic
def revoke_authorization(
    *, by: Any, authorization: Authorization, reason: str = ""
) -> Authorization:
    current = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if current.is_revoked:
        raise ValidationError("This authorization was already revoked.")
    current.revoked_at = timezone.now()
    current.revoked_by = by
    current.revocation_reason = (reason or "").strip()
    current.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    log.record_by(
        by,
        "authorization.revoke",
        target_type="authorization",
        target_id=current.pk,
        client_id=current.client_id,
    )
    return current


@transaction.atomic
def set_part2(*, by: Any, client: Client, part2: bool) -> RecordFlag:
    flag, _ = RecordFlag.objects.update_or_create(
        client=client, defaults={"part2": part2, "set_by": by, "set_at": timezone.now()}
    )
    log.record_by(
        by,
        "record_flag.part2",
        target_type="client",
        target_id=client.pk,
        client_id=client.pk,
        detail={"part2": part2},
    )
    return flag
