"""Writing treatment plans: drafts, their structure, signing. Each action is one
transaction that includes its audit event.

A draft's structure is always written whole (`save_structure`): the API's PUT and each
save of the editor page's one form both produce the complete nested document, which is
checked as a whole and then replaces the draft's items. A refused document changes
nothing. Items are identified by their `key`, never by row id: keys survive both these
rewrites and the copy into a new version. Checking and writing the document:
plans.structure.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from psynote.accounts.models import CLINICAL_ROLES
from psynote.audit import log
from psynote.clients.models import Client
from psynote.plans.models import PlanVersion, TreatmentPlan
from psynote.plans.structure import check_document, clear_items, drop_stale_links, write_items


def review_days() -> int:
    return settings.PLAN_REVIEW_DAYS


def _locked_draft(version: PlanVersion) -> PlanVersion:
    version = (
        PlanVersion.objects.select_for_update().select_related("plan__client").get(pk=version.pk)
    )
    if version.is_signed:
        raise ValidationError(
            "this plan version is signed and locked; start a new version to change the plan"
        )
    return version


# --- actions ------------------------------------------------------------------------------


@transaction.atomic
def start_version(*, by: Any, client: Client) -> PlanVersion:
    """A new draft: a copy of the version in force (same item keys), or an empty plan."""
    plan, created = TreatmentPlan.objects.get_or_create(client=client)
    plan = TreatmentPlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    existing = plan.versions.drafts().first()
    if existing is not None:
        raise ValidationError(
            f"version {existing.number} is already a draft: finish or "
            "discard it before starting another"
        )
    current = plan.versions.signed().order_by("-number").select_related("plan__client").first()
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PlanVersion(plan=plan, number=number, created_by=by)
    if current is None:
        structure: dict[str, Any] = {"problems": []}
    else:
        structure = current.structure()
        # The agreement and the review date belong to the signing of each version.
        structure |= {
            "client_agreement_date": None,
            "client_agreement_method": "",
            "review_due": None,
        }
        drop_stale_links(client, structure)
    _, rows, texts = check_document(client, structure)
    version.set_texts(texts)
    version.save()
    write_items(version, rows)
    log.record_by(
        by,
        "plan.create",
        target_type="plan_version",
        target_id=version.pk,
        client_id=client.pk,
        detail={"number": number, "from": str(current.pk) if current else ""},
    )
    return version


@transaction.atomic
def save_structure(*, by: Any, version: PlanVersion, structure: Any) -> PlanVersion:
    """Replace the draft's whole structure with `structure` (see PlanVersion.structure)."""
    version = _locked_draft(version)
    header, rows, texts = check_document(version.plan.client, structure)
    clear_items(version)
    write_items(version, rows)
    for name, value in header.items():
        setattr(version, name, value)
    version.set_texts(texts)
    version.updated_at = timezone.now()
    version.save()
    log.record_by(
        by,
        "plan.update",
        target_type="plan_version",
        target_id=version.pk,
        client_id=version.plan.client_id,
    )
    return version


@transaction.atomic
def discard_draft(*, by: Any, version: PlanVersion) -> None:
    version = _locked_draft(version)
    client_id, number, pk = version.plan.client_id, version.number, version.pk
    clear_items(version)
    version.delete()
    log.record_by(
        by,
        "plan.discard",
        target_type="plan_version",
        target_id=pk,
        client_id=client_id,
        detail={"number": number},
    )


def signing_problems(structure: dict[str, Any]) -> list[str]:
    """What stops a draft being signed; an empty list means it may be signed."""
    problems = []
    if not structure.get("client_agreement_date") or not structure.get("client_agreement_method"):
        problems.append("record the client's agreement to the plan: the date and how it was given")
    measurable = False
    for n, p in enumerate(structure["problems"], 1):
        if not p["text"]:
            problems.append(f"problem {n} has no description")
        if not p["diagnosis_id"]:
            problems.append(f"problem {n} is not linked to a diagnosis on the chart")
        for m, g in enumerate(p["goals"], 1):
            if not g["text"]:
                problems.append(f"problem {n}, goal {m} has no description")
            for k, o in enumerate(g["objectives"], 1):
                missing = [
                    label
                    for label, value in (
                        ("description", o["text"]),
                        ("baseline", o["baseline"]),
                        ("target", o["target"]),
                        ("target date", o["target_date"]),
                    )
                    if not value
                ]
                if missing:
                    problems.append(
                        f"problem {n}, goal {m}, objective {k} is not measurable "
                        f"yet: add its {', '.join(missing)}"
                    )
                else:
                    measurable = True
        for m, i in enumerate(p["interventions"], 1):
            if not i["modality"]:
                problems.append(f"problem {n}, intervention {m} has no modality")
    if not measurable:
        problems.append(
            "a plan needs at least one problem with a goal and a measurable "
            "objective (baseline, target and target date)"
        )
    return problems


@transaction.atomic
def sign_version(*, by: Any, version: PlanVersion) -> PlanVersion:
    """Sign the draft: it is in force from now and the version before it is superseded."""
    version = _locked_draft(version)
    if by.role not in CLINICAL_ROLES:
        raise ValidationError("a clinician signs the treatment plan")
    structure = version.structure()
    problems = signing_problems(structure)
    now = timezone.now()
    today = timezone.localdate(now)
    if version.review_due is not None and version.review_due <= today:
        problems.append("the review date must be after today")
    if problems:
        raise ValidationError(problems)
    if version.review_due is None:
        version.review_due = today + timedelta(days=review_days())
    version.signed_at, version.signed_by, version.signer_name = now, by, by.signature_name
    version.content_hash = version.compute_hash()
    version.updated_at = now
    version.save()
    superseded = (
        version.plan.versions.signed().filter(number__lt=version.number).order_by("-number").first()
    )
    log.record_by(
        by,
        "plan.sign",
        target_type="plan_version",
        target_id=version.pk,
        client_id=version.plan.client_id,
        detail={
            "content_hash": version.content_hash,
            "number": version.number,
            "supersedes": str(superseded.pk) if superseded else "",
        },
    )
    return version
