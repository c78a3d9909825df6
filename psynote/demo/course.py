"""The course of each client's treatment: which sessions, which scores, which plan.

Treatment plans and measures follow the story: most clients' plans are signed at the
first session after the intake, and every progress note signed after that rates the
plan's open objectives (signing asks for that, as in real use). PHQ-9 and GAD-7 are given
every two or three sessions along a trajectory per client (`psynote.demo.story.TRAJECTORY`,
else drawn from the usual ranges), and the one open risk alert (PHQ-9 item 9) comes from a
self-report answered the evening before today, so that no progress note has been written
since: the next one will need the risk assessment.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from psynote.accounts.models import User
from psynote.clients.models import Client
from psynote.demo.clock import Replay
from psynote.demo.story import (
    MEASURE_OVERDUE,
    MEASURED,
    NO_PLAN,
    PLAN_REVIEW_OVERDUE,
    PLAN_REVISED,
    TRAJECTORY,
    WORSENING,
    ClientStory,
)
from psynote.demo.texts import INTERVENTION_TEXT
from psynote.measures import library


def session_plan(story: Replay, spec: ClientStory) -> list[tuple[date, str]]:
    """(date, kind) of every past session: 'intake', 'note', or an attendance value."""
    first = story.weekday(spec.intake_days_ago)
    days, day = [], first
    while (story.today - day).days >= 5:  # the last few days are written specially
        days.append(day)
        day += timedelta(days=spec.every_days)
    return [(d, "intake" if i == 0 else "note") for i, d in enumerate(days)]


def nearest(plan: list[tuple[date, str]], today: date, days_ago: int) -> int:
    target = today - timedelta(days=days_ago)
    return min(range(1, len(plan)), key=lambda i: abs((plan[i][0] - target).days))


@dataclass
class Course:
    """What the measures and the plan do over one client's sessions."""

    scores: dict[int, dict[str, int]] = field(default_factory=dict)  # session index → scores
    baseline: dict[str, int] = field(default_factory=dict)
    plan_at: int | None = None  # session index at which the plan is signed
    revise_at: int | None = None
    ratings: dict[int, str] = field(default_factory=dict)  # session index → rating


def item_answers(instrument_key: str, total: int, rng: random.Random,
                 item_9: int = 0) -> dict[int, int]:
    """Item answers (0-3) adding up to `total`. PHQ-9 item 9 is `item_9`, never more:
    above 0 it opens a risk alert."""
    scored = [item.number for item in library.get(instrument_key).items if item.scored]
    answers = dict.fromkeys(scored, 0)
    spread = [n for n in answers if not (instrument_key == "phq9" and n == 9)]
    if instrument_key == "phq9":
        answers[9] = item_9
    remaining = max(0, min(total - item_9, 3 * len(spread)))
    while remaining:
        n = rng.choice([n for n in spread if answers[n] < 3])
        answers[n] += 1
        remaining -= 1
    return answers


def course_of(story: Replay, spec: ClientStory, plan: list[tuple[date, str]],
              kinds: list[str]) -> Course:
    rng = random.Random(f"demo-measures-{spec.last}")  # its own seed: the rest stays put
    course = Course()
    if spec.last not in NO_PLAN and len(plan) > 1:
        course.plan_at = 1
        if spec.last == PLAN_REVISED[0]:
            course.revise_at = nearest(plan, story.today, PLAN_REVISED[1])
    every = 2 if spec.every_days > 7 else 3
    first, span = plan[0][0], max((plan[-1][0] - plan[0][0]).days, 1)
    worse = spec.last == WORSENING
    for key in MEASURED.get(spec.last, ()):
        ceiling = 27 if key == "phq9" else 21
        start, end = TRAJECTORY.get((spec.last, key)) or (
            (rng.randint(14, 20), rng.randint(4, 8)) if key == "phq9"
            else (rng.randint(11, 16), rng.randint(3, 6)))
        course.baseline[key] = start
        for index, (day, _) in enumerate(plan):
            if kinds[index] in ("no_show", "late_cancelled") or (
                    index % every and index != len(plan) - 1):
                continue
            if spec.last == MEASURE_OVERDUE[0] and (story.today - day).days <= \
                    MEASURE_OVERDUE[1]:
                continue
            drift = start + (end - start) * (day - first).days / span
            score = start if index == 0 else round(drift) + rng.choice((-1, 0, 0, 1))
            course.scores.setdefault(index, {})[key] = max(0, min(ceiling, score))
    for index in range(1, len(plan)):
        if worse:
            course.ratings[index] = rng.choice(("no_change", "no_change", "regressing"))
        else:
            course.ratings[index] = rng.choice(("progressing", "progressing", "no_change"))
    return course


def plan_document(spec: ClientStory, client: Client, clinician: User, day: date,
                   course: Course, number: int) -> dict[str, Any]:
    """A treatment plan that may be signed, written from the client's story."""
    diagnosis = client.diagnoses.order_by("pk").first()
    target_date = (day + timedelta(days=90)).isoformat()
    objectives = []
    for key, baseline in course.baseline.items():
        instrument = library.get(key)
        cut = instrument.talking_therapies.caseness_min
        objectives.append({
            "text": f"{instrument.short_name} below the clinical cut-off",
            "baseline": f"{instrument.short_name} {baseline} at intake",
            "target": f"{instrument.short_name} below {cut} on two administrations in a row",
            "target_date": target_date, "status": "in_progress"})
    objectives.append({"text": f"Does the agreed practice between sessions ({spec.homework})",
                       "baseline": "Not yet started at intake",
                       "target": "On five days of seven, by the client's own record",
                       "target_date": target_date, "status": "in_progress"})
    goals = [{"text": spec.goal[0].upper() + spec.goal[1:], "objectives": objectives}]
    if number % 2 == 0:
        goals.append({"text": "Keep the gains after therapy ends", "objectives": [{
            "text": "A written relapse-prevention plan", "baseline": "No plan yet",
            "target": "Plan written together and reviewed in session",
            "target_date": (day + timedelta(days=120)).isoformat(),
            "status": "not_started"}]})
    methods = ("signed_screen", "signed_paper", "verbal")
    return {
        "client_agreement_date": day.isoformat(),
        "client_agreement_method": methods[number % len(methods)],
        "review_due": (day + timedelta(days=PLAN_REVIEW_OVERDUE[1])).isoformat()
        if spec.last == PLAN_REVIEW_OVERDUE[0] else None,
        "problems": [{
            "diagnosis_id": diagnosis.pk if diagnosis else None,
            "text": f"{spec.first} came for {spec.concern}.",
            "goals": goals,
            "interventions": [{
                "modality": INTERVENTION_TEXT[key][0].upper() + INTERVENTION_TEXT[key][1:],
                "frequency": f"Every {spec.every_days} days, 50 minutes",
                "responsible_user_id": clinician.pk, "responsible": ""}
                for key in spec.interventions],
        }],
    }


def revise(structure: dict[str, Any], day: date) -> dict[str, Any]:
    """Version 2: the behavioural objective was met; a new one takes the next step."""
    goal = structure["problems"][0]["goals"][0]
    goal["objectives"][-1]["status"] = "achieved"
    goal["objectives"].append({
        "text": "Keeps worry time to one 20-minute slot a day without help",
        "baseline": "Scheduled worry time used with prompts from the worry log",
        "target": "Twenty minutes a day, unprompted, on six days of seven",
        "target_date": (day + timedelta(days=60)).isoformat(), "status": "in_progress"})
    return structure | {"client_agreement_date": day.isoformat(),
                        "client_agreement_method": "signed_screen", "review_due": None}

