"""A treatment plan's structure document: checking it whole, and writing it as rows.

The document is the nested form of a version (see PlanVersion.structure): problems, each
with its goals (and their objectives) and interventions. `check_document` reads one into
clean rows and the texts to seal, collecting every problem found, or refuses it whole;
`write_items` and `clear_items` replace a version's rows. Items are identified by their
`key`, never by row id. The writers run inside the actions' transactions (plans.actions),
which also write the audit event.
"""

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote.accounts.models import CLINICAL_ROLES
from psynote.clients.models import Client, Diagnosis
from psynote.plans.models import (
    AgreementMethod,
    Goal,
    Objective,
    PlanIntervention,
    PlanVersion,
    Problem,
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


def check_document(
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


def write_items(version: PlanVersion, rows: list[dict[str, Any]]) -> None:
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


def clear_items(version: PlanVersion) -> None:
    # Children first, so that each delete is a plain one without a cascade to collect.
    Objective.objects.filter(version=version).delete()
    Goal.objects.filter(version=version).delete()
    PlanIntervention.objects.filter(version=version).delete()
    Problem.objects.filter(version=version).delete()


def drop_stale_links(client: Client, structure: dict[str, Any]) -> None:
    """A diagnosis ruled out, or a colleague who left the care team, since the version in
    force was signed: the copy keeps the item and drops the link for the clinician to redo."""
    checker = _Checker(client)
    for problem in structure["problems"]:
        if problem["diagnosis_id"] not in checker.diagnoses:
            problem["diagnosis_id"] = None
        for intervention in problem["interventions"]:
            if intervention["responsible_user_id"] not in checker.team:
                intervention["responsible_user_id"] = None
