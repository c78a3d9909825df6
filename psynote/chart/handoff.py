"""The hand-off (transfer of care) summary: what a clinician receiving a client reads first.

    summary(client, today=...) -> HandOff

Composed from the signed record only: the chart's current diagnoses, the treatment plan in
force with each open objective's latest rating from signed notes (the golden thread),
every measure's trajectory with its reliable-change status (`measures.outcomes`), the risk
history (risk alerts, open and resolved, and the signed notes that recorded risk), the
assessment and plan of the last few signed notes, and the upcoming sessions.

Never a draft, and never a psychotherapy note: those are the author's alone (45 CFR
164.501) and this module does not import their model. No access check or audit here: the
view fetched the client through its access function and audits what it shows.

Query count is bounded and independent of the size of the record (the query-count test
pins it): one query each for diagnoses, signed notes, the plan in force and its
objectives, administrations, risk alerts and upcoming sessions.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from psynote.clients.models import Client, Diagnosis
from psynote.measures import outcomes
from psynote.measures.models import RiskAlert
from psynote.notes.content import OBJECTIVE_RATINGS
from psynote.notes.models import ProgressNote
from psynote.notes.templates import RISK_LEVELS
from psynote.plans import queries as plan_queries
from psynote.supervision.record import in_record
from psynote.visits.models import Session

RECENT_NOTES = 3
UPCOMING = 10
# The sections a receiving clinician needs from recent notes: the clinician's formulation
# and what comes next, under whichever name the note's template gives them.
SUMMARY_SECTIONS = ("assessment", "diagnostic_impression", "response", "plan")
_RATINGS = dict(OBJECTIVE_RATINGS)
_LEVELS = dict(RISK_LEVELS)


@dataclass
class ObjectiveProgress:
    text: str
    goal_text: str
    target: str
    target_date: date | None
    ratings: int = 0  # signed notes that rated it
    latest_rating: str = ""
    latest_date: date | None = None


@dataclass
class RiskEvent:
    when: date
    kind: str  # "alert" or "note"
    text: str
    is_open: bool = False
    note_id: Any = None


@dataclass
class RecentNote:
    note_id: Any
    date: date
    signer_name: str
    template_name: str
    sections: list[tuple[str, str]]


@dataclass
class HandOff:
    client: Client
    today: date
    care_team: list[Any]
    diagnoses: list[Diagnosis]
    plan: Any  # the PlanVersion in force, or None
    objectives: list[ObjectiveProgress]
    review: Any
    measures: list[outcomes.InstrumentHistory]
    open_alerts: list[tuple[RiskAlert, list[str]]]
    risk_history: list[RiskEvent]
    recent_notes: list[RecentNote]
    upcoming: list[Session]
    signed_notes: int = 0
    first_session: date | None = None
    warnings: list[str] = field(default_factory=list)


def _signed_notes(client: Client) -> list[ProgressNote]:
    notes = (
        in_record(ProgressNote.objects.signed())  # none held for a supervisor's approval
        .filter(client=client)
        .select_related("session", "template_version__template")
        .order_by("session__date", "session__start_time", "signed_at")
    )
    result = list(notes)
    for note in result:
        note.client = client  # content() opens with the client's key: no query per note
    return result


def _objectives(client: Client, notes: list[ProgressNote]) -> list[ObjectiveProgress]:
    found = {
        o.key: ObjectiveProgress(o.text, o.goal_text, o.target, o.target_date)
        for o in plan_queries.active_objectives(client)
    }
    for note in notes:  # oldest first: the last rating seen is the latest
        for entry in note.content().get("objectives") or []:
            progress = found.get(entry.get("objective_key"))
            if progress is not None:
                progress.ratings += 1
                progress.latest_rating = _RATINGS.get(entry.get("rating", ""), "")
                progress.latest_date = note.session.date
    return list(found.values())


def _alerts(client: Client) -> list[RiskAlert]:
    alerts = list(
        RiskAlert.objects.filter(client=client).select_related("administration")
        .order_by("-opened_at")
    )
    for alert in alerts:
        alert.client = client
        alert.administration.client = client
    return alerts


def _risk_history(alerts: list[RiskAlert], notes: list[ProgressNote]) -> list[RiskEvent]:
    events = [
        RiskEvent(
            when=timezone.localdate(alert.opened_at),
            kind="alert",
            text="; ".join(alert.reasons())
            + ("" if alert.is_open
               else f" (resolved {timezone.localdate(alert.resolved_at):%Y-%m-%d})"),
            is_open=alert.is_open,
        )
        for alert in alerts
    ]
    for note in notes:
        if not note.risk_flagged:
            continue
        risk = note.content().get("risk") or {}
        level = _LEVELS.get(risk.get("level", ""), "not set")
        parts = [f"risk level {level.lower()}"]
        if risk.get("si", "none") != "none":
            parts.append(f"suicidal ideation: {risk['si']}")
        if risk.get("hi", "none") != "none":
            parts.append("homicidal ideation")
        events.append(RiskEvent(note.session.date, "note", "Progress note: " + ", ".join(parts),
                                note_id=note.pk))
    return sorted(events, key=lambda e: e.when, reverse=True)


def _recent(notes: list[ProgressNote]) -> list[RecentNote]:
    recent = []
    for note in reversed(notes[-RECENT_NOTES:]):
        sections = note.content().get("sections") or {}
        shown = [
            (s.label, sections.get(s.key, ""))
            for s in note.template_def.sections
            if s.key in SUMMARY_SECTIONS and str(sections.get(s.key, "")).strip()
        ]
        recent.append(RecentNote(note.pk, note.session.date, note.signer_name,
                                 note.template_def.name, shown))
    return recent


def summary(client: Client, *, today: date) -> HandOff:
    notes = _signed_notes(client)
    alerts = _alerts(client)
    upcoming = list(
        Session.objects.filter(client=client, date__gte=today,
                               attendance=Session.Attendance.SCHEDULED)
        .select_related("clinician").order_by("date", "start_time")[:UPCOMING]
    )
    plan = plan_queries.in_force(client)
    return HandOff(
        client=client,
        today=today,
        care_team=list(client.care_team.select_related("user").order_by("-role")),
        diagnoses=[
            d for d in client.diagnoses.all().in_chart_order()
            if d.status != Diagnosis.Status.RULED_OUT
        ],
        plan=plan,
        objectives=_objectives(client, notes) if plan is not None else [],
        review=plan_queries.review_status(client, today=today) if plan is not None else None,
        measures=outcomes.histories(client),
        open_alerts=[(a, a.reasons()) for a in alerts if a.is_open],
        risk_history=_risk_history(alerts, notes),
        recent_notes=_recent(notes),
        upcoming=upcoming,
        signed_notes=len(notes),
        first_session=notes[0].session.date if notes else None,
    )
