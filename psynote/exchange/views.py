"""Pages: a client's authorizations, disclosing the record, the accounting of
disclosures, the practice-wide disclosure log and the practice's signing key."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psynote.accounts.models import CLINICAL_ROLES, Role
from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.exchange import accounting, actions, gate, pdf, signing
from psynote.exchange.access import (
    get_authorization_for,
    get_client_for_exchange,
    practice_disclosures_for,
)
from psynote.exchange.forms import AuthorizationForm, DisclosureForm, Part2Form, RevokeForm
from psynote.exchange.models import Authorization, RecordFlag
from psynote.lib import spreadsheet
from psynote.lib.forms import add_errors

LOG_PAGE = 200


def _audit_read(request: HttpRequest, action: str, client: Client, **fields: object) -> None:
    log.record_by(
        request.user,
        action,
        target_type=fields.pop("target_type", "client"),
        target_id=fields.pop("target_id", client.pk),
        client_id=client.pk,
        **fields,
    )


@login_required
@require_GET
def authorization_list(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_exchange(request.user, client_id)
    _audit_read(request, "authorization.list", client)
    flag = RecordFlag.objects.filter(client=client).first()
    return render(
        request,
        "exchange/authorization_list.html",
        {
            "client": client,
            "authorizations": client.authorizations.select_related("created_by", "revoked_by"),
            "disclosures": client.disclosures.select_related("by", "authorization")[:LOG_PAGE],
            "can_disclose": can(request.user, client, Need.WRITE_CLINICAL),
            "part2_form": Part2Form(initial={"part2": bool(flag and flag.part2)}),
            "part2": bool(flag and flag.part2),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def authorization_new(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_exchange(request.user, client_id, write=True)
    form = AuthorizationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            upload = data.pop("signed_form")
            try:
                if upload is not None and upload.size > actions.MAX_FORM_BYTES:
                    raise ValidationError({"signed_form": "The signed form is larger than 10 MB."})
                authorization = actions.create_authorization(
                    by=request.user,
                    client=client,
                    **data,
                    signed_form=upload.read() if upload is not None else None,
                    signed_form_name=upload.name if upload is not None else "",
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Authorization recorded.")
                return redirect("authorization_detail", authorization_id=authorization.pk)
        return render(
            request,
            "exchange/authorization_form.html",
            {"client": client, "form": form},
            status=400,
        )
    return render(request, "exchange/authorization_form.html", {"client": client, "form": form})


@login_required
@require_GET
def authorization_detail(request: HttpRequest, authorization_id: object) -> HttpResponse:
    authorization = get_authorization_for(request.user, authorization_id)
    client = authorization.client
    _audit_read(
        request,
        "authorization.view",
        client,
        target_type="authorization",
        target_id=authorization.pk,
    )
    can_write = can(request.user, client, Need.WRITE_CLINICAL)
    return render(
        request,
        "exchange/authorization_detail.html",
        {
            "client": client,
            "authorization": authorization,
            "status": authorization.status(),
            "can_write": can_write,
            "revoke_form": RevokeForm(),
            "disclosures": authorization.disclosures.select_related("by"),
        },
    )


@login_required
@require_GET
def authorization_form(request: HttpRequest, authorization_id: object) -> HttpResponse:
    authorization = get_authorization_for(request.user, authorization_id)
    if authorization.signed_form_ct is None:
        raise Http404("Not found")
    _audit_read(
        request,
        "authorization.form_view",
        authorization.client,
        target_type="authorization",
        target_id=authorization.pk,
    )
    response = HttpResponse(
        authorization.signed_form(), content_type=authorization.signed_form_type
    )
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    response["Content-Disposition"] = (
        f'attachment; filename="authorization-{str(authorization.pk)[:8]}.'
        f'{extension[authorization.signed_form_type]}"'
    )
    return response


@login_required
@require_POST
def authorization_revoke(request: HttpRequest, authorization_id: object) -> HttpResponse:
    authorization = get_authorization_for(request.user, authorization_id, write=True)
    form = RevokeForm(request.POST)
    form.is_valid()
    try:
        actions.revoke_authorization(
            by=request.user, authorization=authorization, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Authorization revoked: nothing more is disclosed under it.")
    return redirect("authorization_detail", authorization_id=authorization.pk)


@login_required
@require_POST
def record_flag_part2(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_exchange(request.user, client_id, write=True)
    form = Part2Form(request.POST)
    form.is_valid()
    part2 = bool(form.cleaned_data.get("part2"))
    actions.set_part2(by=request.user, client=client, part2=part2)
    messages.success(
        request,
        "Marked as a 42 CFR Part 2 record: every disclosure will carry the Part 2 notice."
        if part2
        else "Part 2 mark removed.",
    )
    return redirect("authorization_list", client_id=client.pk)


def _disclosure_form(request: HttpRequest, client: Client) -> DisclosureForm:
    return DisclosureForm(
        request.POST or None,
        authorizations=client.authorizations.active(),
        formats=gate.available_formats(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_new(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_exchange(request.user, client_id, write=True)
    form = _disclosure_form(request, client)
    context = {
        "client": client,
        "form": form,
        "part2": gate.is_part2(client),
    }
    if request.method == "GET":
        return render(request, "exchange/disclosure_form.html", context)
    if form.is_valid():
        data = form.cleaned_data
        authorization: Authorization | None = data["authorization"]
        basis: gate.Basis = (
            authorization
            if authorization is not None
            else gate.UnderException(
                code=data["exception"],
                justification=data["justification"],
                recipient_name=data["recipient_name"],
                recipient_organisation=data["recipient_organisation"],
                recipient_contact=data["recipient_contact"],
            )
        )
        purpose = data["purpose"] or (authorization.purpose if authorization else "")
        try:
            grant = gate.authorise(
                request.user,
                client,
                data["scope"],
                (data["date_from"], data["date_to"]),
                purpose,
                basis,
            )
            package = gate.export_client(request.user, client, grant, data["format"])
        except gate.Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            response = HttpResponse(package.data, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{package.name}"'
            response["X-Package-SHA256"] = package.sha256
            return response
    return render(request, "exchange/disclosure_form.html", context, status=400)


@login_required
@require_GET
def disclosure_accounting(request: HttpRequest, client_id: object) -> HttpResponse:
    client = get_client_for_exchange(request.user, client_id)
    today = timezone.localdate()
    entries = list(accounting.entries(client, today))
    _audit_read(
        request,
        "disclosure.accounting",
        client,
        detail={"entries": len(entries), "format": request.GET.get("format", "html")},
    )
    rows = accounting.rows(entries)
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = spreadsheet.writer(buffer)
        writer.writerow(
            [
                "date",
                "recipient",
                "recipient address",
                "what was disclosed",
                "purpose",
                "disclosed by",
                "number of disclosures",
                "last disclosure",
            ]
        )
        for row in rows:
            d = row["disclosure"]
            writer.writerow(
                [
                    f"{timezone.localtime(d.disclosed_at):%Y-%m-%d}",
                    d.recipient_display,
                    d.recipient_contact,
                    row["description"],
                    row["purpose"],
                    d.by.signature_name,
                    row["count"],
                    f"{timezone.localtime(row['last'].disclosed_at):%Y-%m-%d}"
                    if row["last"]
                    else "",
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="accounting-of-disclosures-{today:%Y%m%d}.csv"'
        )
        return response
    if request.GET.get("format") == "pdf":
        try:
            body = pdf.accounting_pdf(client, rows, today, accounting.period_start(today))
        except gate.Refused as problem:  # WeasyPrint or Pango missing: say so, no 500
            return HttpResponse(str(problem), content_type="text/plain", status=503)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="accounting-of-disclosures-{today:%Y%m%d}.pdf"'
        )
        return response
    return render(
        request,
        "exchange/accounting.html",
        {"client": client, "rows": rows, "today": today, "since": accounting.period_start(today)},
    )


@login_required
@require_GET
def disclosure_log(request: HttpRequest) -> HttpResponse:
    disclosures = practice_disclosures_for(request.user)[:LOG_PAGE]
    log.record_by(
        request.user,
        "disclosure.log_view",
        target_type="practice",
        target_id=request.user.practice_id,
    )
    return render(request, "exchange/disclosure_log.html", {"disclosures": disclosures})


@login_required
@require_GET
def practice_key(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.practice_id is None or user.role not in {*CLINICAL_ROLES, Role.ADMIN, Role.PRIVACY}:
        raise Http404("Not found")
    public = signing.known_public_key(user.practice)
    return render(
        request,
        "exchange/practice_key.html",
        {
            "practice": user.practice,
            "public_b64": signing.public_b64(public) if public else "",
            "fingerprint": signing.grouped(signing.fingerprint(public)) if public else "",
            "part2_configured": gate.part2_notice_configured(),
        },
    )
