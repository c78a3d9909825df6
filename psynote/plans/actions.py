"""Writing treatment plans: drafts, their structure, signing. Each action is one
transaction that includes its audit event.

A draft's structure is always written whole (`save_structure`): the API's PUT and each
small edit on the editor page both produce the complete nested document, which is
checked as a whole and then replaces the draft's items. A refused document changes
nothing. Items are identified by their `key`, never by row id: keys survive both these
rewrites and the copy into a new version.
"""

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from psynote.accounts.models import CLINICAL_ROLES
from psynote.audit import log
from psynote.clients.models import Client, Diagnosis
from psynote.plans.models import (
    AgreementMethod,
    Goal,
    Objective,
    PlanIntervention,
    PlanVersion,
    Problem,
    TreatmentPlan,
)

MAX_TEXT = 5_000
MAX_ITEMS = 50  # per list: problems, goals of a problem, objectives of a goal, ...
# Dates outside this range are typing slips (and would overflow date arithmetic).
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)

_DOCUMENT_FIELDS = {"client_agreement_date", "client_agreement_method", "review_due", "problems"}
_FIELDS = {
    "problem": {"key", "diagnosis_id", "diagnosis_code", "text", "goals", "interventions"},
    "goal": {"key", "text", "objectives"},
    "objective": {"key", "text", "baseline", "target", "target_date", "status"},
    "intervention": {"key", "modality", "frequency", "responsible_user_id", "responsible"},
}


def review_days() -> int:
    return settings.PLAN_REVIEW_DAYS


# --- checking a structure document -------------------------------------------------------


class _Checker:
    """Reads a structure document into clean rows, collecting every problem found."""

    def __init__(self, client: Client) -> None:
        self.problems: list[str] = []
        self.keys: set[str] = set()
        self.diagnoses = {
            d.pk: d for d in client.diagnoses.exclude(status=Diagnosis.Status.RULED_OUT)
        }
        team = client.care_team.filter(user__is_active=True, user__role__in=CLINICAL_ROLES)
        self.team = {m.user_id for m in team}

    def fail(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def fields(self, item: Any, kind: str, where: str) -> dict[str, Any]:
        if not isinstance(item, dict):
            self.fail(f"{where} must be an object")
            return {}
        unknown = set(item) - _FIELDS[kind]
        if unknown:
            self.fail(f"{where}: unknown fields {', '.join(sorted(unknown))}")
        return item

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{where} must be a list")
            return []
        if len(value) > MAX_ITEMS:
            self.fail(f"{where}: at most {MAX_ITEMS}")
            return value[:MAX_ITEMS]
        return value

    def key(self, value: Any, where: str) -> str:
        if value in (None, ""):
            return str(uuid.uuid4())
        try:
            key = str(uuid.UUID(str(value)))
        except ValueError:
            self.fail(f"{where}: key must be a UUID")
            return str(uuid.uuid4())
        if key in self.keys:
            self.fail(f"{where}: key {key} is used twice")
        self.keys.add(key)
        return key

    def text(self, value: Any, where: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(f"{where} must be text")
            return ""
        if len(value) > MAX_TEXT:
            self.fail(f"{where} is longer than {MAX_TEXT} characters")
        if "\x00" in value:
            self.fail(f"{where} must not contain NUL characters")
        return value.replace("\r\n", "\n").strip()

    def day(self, value: Any, where: str) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, date):
            parsed = value
        else:
            try:
                parsed = date.fromisoformat(str(value))
            except ValueError:
                self.fail(f"{where} must be a date (YYYY-MM-DD)")
                return None
        if not EARLIEST <= parsed <= LATEST:
            self.fail(f"{where} must be between {EARLIEST} and {LATEST}")
            return None
        return parsed

    def number(self, value: Any, where: str) -> int | None:
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            self.fail(f"{where} must be a number")
            return None


def _check(
    client: Client, document: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, str]]]:
    """(header fields, problem rows with their children, texts by key), or ValidationError."""
    c = _Checker(client)
    if not isinstance(document, dict):
        raise ValidationError("the plan must be an object")
    unknown = set(document) - _DOCUMENT_FIELDS
    if unknown:
        c.fail(f"unknown fields: {', '.join(sorted(unknown))}")
    method = document.get("client_agreement_method") or ""
    if method and method not in AgreementMethod.values:
        c.fail("client_agreement_method must be one of: " + ", ".join(AgreementMethod.values))
        method = ""
    header = {
        "client_agreement_date": c.day(
            document.get("client_agreement_date"), "client_agreement_date"
        ),
        "client_agreement_method": method,
        "review_due": c.day(document.get("review_due"), "review_due"),
    }
    if header["client_agreement_date"] and header["client_agreement_date"] > (timezone.localdate()):
        c.fail("the client's agreement cannot be dated in the future")
    texts: dict[str, dict[str, str]] = {}
    rows: list[dict[str, Any]] = []
    for n, raw in enumerate(c.items(document.get("problems"), "problems"), 1):
        where = f"problem {n}"
        p = c.fields(raw, "problem", where)
        key = c.key(p.get("key"), where)
        diagnosis_id = c.number(p.get("diagnosis_id"), f"{where}: diagnosis")
        diagnosis = c.diagnoses.get(diagnosis_id) if diagnosis_id is not None else None
        if diagnosis_id is not None and diagnosis is None:
            c.fail(f"{where}: the diagnosis must be one on this client's chart (and not ruled out)")
        texts[key] = {"text": c.text(p.get("text"), f"{where}: text")}
        problem = {"key": key, "diagnosis": diagnosis, "goals": [], "interventions": []}
        for m, raw_goal in enumerate(c.items(p.get("goals"), f"{where}: goals"), 1):
            gwhere = f"{where}, goal {m}"
            g = c.fields(raw_goal, "goal", gwhere)
            gkey = c.key(g.get("key"), gwhere)
            texts[gkey] = {"text": c.text(g.get("text"), f"{gwhere}: text")}
            goal = {"key": gkey, "objectives": []}
            for k, raw_obj in enumerate(c.items(g.get("objectives"), f"{gwhere}: objectives"), 1):
                owhere = f"{gwhere}, objective {k}"
                o = c.fields(raw_obj, "objective", owhere)
                okey = c.key(o.get("key"), owhere)
                status = o.get("status") or Objective.Status.NOT_STARTED
                if status not in Objective.Status.values:
                    c.fail(f"{owhere}: status must be one of " + ", ".join(Objective.Status.values))
                    status = Objective.Status.NOT_STARTED
                texts[okey] = {
                    name: c.text(o.get(name), f"{owhere}: {name}")
                    for name in ("text", "baseline", "target")
                }
                goal["objectives"].append(
                    {
                        "key": okey,
                        "status": status,
                        "target_date": c.day(o.get("target_date"), f"{owhere}: target date"),
                    }
                )
            problem["goals"].append(goal)
        for m, raw_iv in enumerate(c.items(p.get("interventions"), f"{where}: interventions"), 1):
            iwhere = f"{where}, intervention {m}"
            i = c.fields(raw_iv, "intervention", iwhere)
            ikey = c.key(i.get("key"), iwhere)
            user_id = c.number(i.get("responsible_user_id"), f"{iwhere}: responsible")
            if user_id is not None and user_id not in c.team:
                c.fail(f"{iwhere}: the responsible clinician must be on this client's care team")
                user_id = None
            texts[ikey] = {
                name: c.text(i.get(name), f"{iwhere}: {name}")
                for name in ("modality", "frequency", "responsible")
            }
            problem["interventions"].append({"key": ikey, "responsible_user_id": user_id})
        rows.append(problem)
    if c.problems:
        raise ValidationError(c.problems)
    return header, rows, texts


def _write_items(version: PlanVersion, rows: list[dict[str, Any]]) -> None:
    for p_pos, p in enumerate(rows):
        diagnosis = p["diagnosis"]
        problem = Problem.objects.create(
            version=version,
            key=p["key"],
            position=p_pos,
            diagnosis=diagnosis,
            diagnosis_code=diagnosis.code if diagnosis else "",
        )
        for g_pos, g in enumerate(p["goals"]):
            goal = Goal.objects.create(
                version=version, problem=problem, key=g["key"], position=g_pos
            )
            Objective.objects.bulk_create(
                [
                    Objective(
                        version=version,
                        goal=goal,
                        key=o["key"],
                        position=o_pos,
                        target_date=o["target_date"],
                        status=o["status"],
                    )
                    for o_pos, o in enumerate(g["objectives"])
                ]
            )
        PlanIntervention.objects.bulk_create(
            [
                PlanIntervention(
                    version=version,
                    problem=problem,
                    key=i["key"],
                    position=i_pos,
                    responsible_user_id=i["responsible_user_id"],
                )
                for i_pos, i in enumerate(p["interventions"])
            ]
        )


def _clear_items(version: PlanVersion) -> None:
    # Children first, so that each delete is a plain one without a cascade to collect.
    Objective.objects.filter(version=version).delete()
    Goal.objects.filter(version=version).delete()
    PlanIntervention.objects.filter(version=version).delete()
    Problem.objects.filter(version=version).delete()


def _locked_draft(version: PlanVersion) -> PlanVersion:
    version = (
        PlanVersion.objects.select_for_update().select_related("plan__client").get(pk=version.pk)
    )
    if version.is_signed:
        raise ValidationError(
            "this plan version is signed and locked; start a new version to change the plan"
        )
    return version


def _drop_stale_links(client: Client, structure: dict[str, Any]) -> None:
    """A diagnosis ruled out, or a colleague who left the care team, since the version in
    force was signed: the copy keeps the item and drops the link for the clinician to redo."""
    checker = _Checker(client)
    for problem in structure["problems"]:
        if problem["diagnosis_id"] not in checker.diagnoses:
            problem["diagnosis_id"] = None
        for intervention in problem["interventions"]:
            if intervention["responsible_user_id"] not in checker.team:
                intervention["responsible_user_id"] = None


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
        _drop_stale_links(client, structure)
    _, rows, texts = _check(client, structure)
    version.set_texts(texts)
    version.save()
    _write_items(version, rows)
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
    header, rows, texts = _check(version.plan.client, structure)
    _clear_items(version)
    _write_items(version, rows)
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
    _clear_items(version)
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
