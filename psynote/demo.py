"""The fictional demo practice: Harbor Light Counseling (fictional demo).

Every person, address, phone number and licence number here is invented (phone numbers
are in the 555-01xx range reserved for fiction, e-mail addresses are at example.com).

The record is built only through the actions the application itself uses
(`accounts.actions`, `clients.actions`, `visits.actions`, `notes.actions`, `plans.actions`,
`measures.actions`), so the audit chain, content hashes and encryption are the real thing
and `psynote verify` checks them.

Treatment plans and measures follow the same story: most clients' plans are signed at the
first session after the intake, and every progress note signed after that rates the
plan's open objectives (signing asks for that, as in real use). PHQ-9 and GAD-7 are given
every two or three sessions along a trajectory per client, and the one open risk alert
(PHQ-9 item 9) comes from a self-report answered the evening before today, so that no
progress note has been written since: the next one will need the risk assessment.

Back-dating. A chart needs about three months of history, but signing a note more than
PSYNOTE_LATE_ENTRY_HOURS after its session makes it a late entry. Rather than marking
every historical note late (untrue to the story) or widening the late-entry window
(which would hide how the rule works), the loader replays the story in time order under a
*demo clock*: while each step runs, Django's `timezone.now()` reads the moment the step
happened in the story (e.g. a note signed three hours after its session, ten weeks ago).
Creation times, signature times and audit-event times therefore agree with each other, the
audit log reads in order, and the late-entry rule applies exactly as in real use: the one
intended late entry is signed days after its session, with a reason. The clock is only
ever set inside `load()` and is restored when it returns; it never runs in the server.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone as dj_timezone

from psynote.accounts import actions as account_actions
from psynote.accounts.models import Practice, Role, User
from psynote.audit import log
from psynote.audit.models import AuditEvent
from psynote.clients import actions as client_actions
from psynote.clients.models import Client
from psynote.measures import actions as measure_actions
from psynote.measures import library
from psynote.measures.models import Administration, RiskAlert
from psynote.notes import actions as note_actions
from psynote.notes import keyring, psychotherapy_keys
from psynote.notes.models import Addendum, ProgressNote
from psynote.plans import actions as plan_actions
from psynote.plans import queries as plan_queries
from psynote.plans.models import PlanVersion
from psynote.visits import actions as visit_actions
from psynote.visits import cpt
from psynote.visits.models import Session

PRACTICE_NAME = "Harbor Light Counseling (fictional demo)"
PASSWORD = "harbor-light-demo"  # noqa: S105 - the published password of fictional users
HISTORY_DAYS = 98

# username, role, first name, last name, credentials, licence number, supervisor
STAFF: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("admin", Role.ADMIN, "Alex", "Adminson", "", "", ""),
    ("supervisor", Role.SUPERVISOR, "Morgan", "Mentorly", "PsyD, LP", "DEMO-PSY-4004", ""),
    ("clinician", Role.CLINICIAN, "Dana", "Demoworth", "LCSW", "DEMO-LCSW-1001", ""),
    ("clinician2", Role.CLINICIAN, "Eli", "Samplefield", "PhD, LP", "DEMO-LP-2002", ""),
    ("supervisee", Role.CLINICIAN, "Remy", "Placeholder", "MA, LPC-Associate",
     "DEMO-LPCA-3003", "supervisor"),
    ("frontdesk", Role.FRONT_DESK, "Frankie", "Frontdesk", "", "", ""),
    ("privacy", Role.PRIVACY, "Pat", "Privacyworth", "", "", ""),
)
LICENCE_STATE = "Demo State"

# Each clinician writes mostly in one template; intakes use the intake template.
TEMPLATE_OF = {"clinician": "soap", "clinician2": "dap", "supervisee": "birp",
               "supervisor": "girp"}


@dataclass(frozen=True)
class ClientStory:
    first: str
    last: str
    pronouns: str
    born: date
    sex: str
    clinician: str
    codes: tuple[str, ...]
    concern: str
    goal: str
    interventions: tuple[str, ...]
    homework: str
    intake_days_ago: int
    every_days: int = 7
    hour: int = 9
    video: bool = False


CLIENTS: tuple[ClientStory, ...] = (
    ClientStory("Avery", "Examplar", "she/her", date(1988, 3, 14), "female", "clinician",
                ("F41.1",), "persistent worry about work and health",
                "worry takes under an hour a day; sleeps seven hours most nights",
                ("cognitive_restructuring", "relaxation"), "worry log and scheduled worry time",
                95, hour=9),
    ClientStory("Blake", "Testwood", "he/him", date(1979, 11, 2), "male", "clinician",
                ("F33.1", "Z56.0"), "low mood and loss of interest since losing his job",
                "a daily routine with two valued activities; job search three days a week",
                ("behavioral_activation", "problem_solving"), "activity schedule",
                88, hour=10),
    ClientStory("Casey", "Sampleton", "they/them", date(1995, 7, 21), "unknown",
                "clinician", ("F43.23",), "loneliness and tension after moving to a new city",
                "two regular social contacts; tension rated under 4/10",
                ("problem_solving", "supportive"), "one social invitation a week",
                60, hour=11, video=True),
    ClientStory("Drew", "Notreal", "he/him", date(1969, 1, 30), "male", "clinician",
                ("F10.20",), "drinking more than intended most evenings",
                "alcohol-free weekdays and a relapse-prevention plan",
                ("motivational_interviewing", "psychoeducation"), "drinking diary",
                81, hour=13),
    ClientStory("Emery", "Madeup", "she/her", date(2001, 9, 9), "female", "clinician",
                ("F40.10",), "fear of speaking in class and in groups",
                "speaks up once in each seminar", ("exposure", "cognitive_restructuring"),
                "graded exposure steps from the hierarchy", 53, hour=14),
    ClientStory("Finley", "Imaginary", "she/her", date(1983, 5, 5), "female", "clinician",
                ("F43.10",), "nightmares and startle after a car accident",
                "drives to work without panic; nightmares under one a week",
                ("trauma_focused", "relaxation"), "grounding practice twice a day",
                74, hour=15),
    ClientStory("Gray", "Pretendson", "he/him", date(1990, 12, 12), "male", "clinician2",
                ("F42.2",), "checking rituals that take two hours a day",
                "rituals under thirty minutes a day", ("exposure", "psychoeducation"),
                "exposure and response prevention practice", 90, hour=9),
    ClientStory("Harper", "Inventado", "she/her", date(1975, 4, 18), "female", "clinician2",
                ("F43.81",), "intense grief a year after her sister's death",
                "returns to two activities she used to enjoy", ("supportive", "mindfulness"),
                "memory journal", 84, every_days=14, hour=10),
    ClientStory("Indigo", "Fauxley", "they/them", date(1998, 2, 27), "unknown",
                "clinician2", ("F90.0", "F41.1"),
                "missed deadlines and worry about falling behind at work",
                "uses a planner daily; no missed deadlines for a month",
                ("problem_solving", "psychoeducation"), "daily planning routine",
                67, hour=11, video=True),
    ClientStory("Jules", "Mockridge", "he/him", date(1986, 8, 8), "male", "clinician2",
                ("F32.1",), "low mood, poor sleep and withdrawal from friends",
                "PHQ-9 under 10; sees friends weekly", ("behavioral_activation",
                                                         "cognitive_restructuring"),
                "pleasant-activity scheduling", 77, hour=13),
    ClientStory("Kai", "Dummyford", "she/her", date(1993, 10, 31), "female", "clinician2",
                ("F41.0",), "sudden panic attacks on public transport",
                "rides the bus to work without leaving early", ("exposure",
                                                               "psychoeducation"),
                "interoceptive exposure exercises", 70, hour=14),
    ClientStory("Lane", "Specimen", "he/him", date(1960, 6, 15), "male", "clinician2",
                ("F51.01",), "trouble falling asleep for the past year",
                "falls asleep within thirty minutes on most nights",
                ("psychoeducation", "relaxation"), "sleep diary and fixed rising time",
                46, hour=15),
    ClientStory("Marlowe", "Nonesuch", "she/her", date(2003, 3, 3), "female", "supervisee",
                ("F43.22",), "anxiety since starting university away from home",
                "attends all classes; anxiety under 4/10", ("relaxation", "problem_solving"),
                "breathing practice before class", 72, hour=9),
    ClientStory("Nico", "Hypothetical", "he/him", date(1999, 11, 11), "male", "supervisee",
                ("F34.1",), "years of low-grade low mood and self-criticism",
                "notices and answers self-critical thoughts", ("cognitive_restructuring",
                                                              "supportive"),
                "thought record", 65, hour=10, video=True),
    ClientStory("Oakley", "Fictive", "they/them", date(1991, 1, 1), "unknown", "supervisee",
                ("F40.01",), "avoiding shops and crowded places after panic attacks",
                "does the weekly shopping alone", ("exposure", "relaxation"),
                "graded outings from the hierarchy", 58, hour=11),
    ClientStory("Parker", "Storybook", "she/her", date(1985, 7, 7), "female", "supervisee",
                ("F43.21", "Z63.0"), "sadness and arguments since a separation",
                "co-parents calmly; mood steadier", ("supportive", "problem_solving"),
                "scripted handover conversations", 49, hour=13),
    ClientStory("Quinn", "Makebelieve", "he/him", date(1972, 2, 2), "male", "supervisor",
                ("F33.1",), "a recurrence of depression over the winter",
                "back to full working days; PHQ-9 under 10", ("behavioral_activation",
                                                             "cognitive_restructuring"),
                "morning routine and daylight walk", 92, hour=9),
    ClientStory("Rowan", "Unreal", "she/her", date(1980, 9, 19), "female", "supervisor",
                ("F60.3",), "intense emotions and conflict in close relationships",
                "uses a skill before acting on urges", ("dbt_skills", "mindfulness"),
                "diary card", 86, hour=10),
    ClientStory("Sage", "Examplesworth", "she/her", date(1997, 5, 25), "female",
                "supervisor", ("F41.1",), "worry about money and the future",
                "a weekly budget and worry under an hour a day",
                ("problem_solving", "cognitive_restructuring"), "budget worksheet",
                39, hour=11, video=True),
    ClientStory("Tatum", "Nobody", "he/him", date(1966, 12, 1), "male", "supervisor",
                ("F43.12",), "long-standing intrusive memories from military service",
                "sleeps through most nights; goes to crowded places with a plan",
                ("trauma_focused", "relaxation"), "grounding plan for crowds",
                79, every_days=14, hour=13),
)

# Special moments of the story, by client surname.
RISK_NOTE = ("Testwood", 21)  # (client, about this many days ago)
LATE_ENTRY = ("Pretendson", 12, 4)  # signed 4 days after the session
ADDENDA = (("Examplar", 35, "correction",
            "Correction: the homework agreed was the worry log, not the thought record "
            "named in the plan."),
           ("Dummyford", 28, "late_information",
            "Later information: the client called the next day to say her primary care "
            "physician has ruled out a thyroid cause for the palpitations."))
NO_SHOW = ("Mockridge", 27)
LATE_CANCEL = ("Nonesuch", 14)
DRAFTS = ("Sampleton", "Inventado", "Hypothetical")
NO_NOTE_YET = ("Madeup", "Specimen", "Makebelieve")
PSYCHOTHERAPY_NOTES = (
    ("Imaginary", 30, "My own impressions: I noticed I rushed to reassure her when she "
     "described the accident; worth slowing down next time and staying with the fear."),
    ("Imaginary", 16, "Process note: she tested whether I would be shocked by her anger at "
     "the other driver. Hypothesis: anger protects against helplessness. Discuss in "
     "supervision, without identifying details."),
)
UPCOMING = ("Examplar", "Notreal", "Fauxley", "Fictive", "Unreal", "Nobody")

# Treatment plans: signed at the first session after the intake, except for these two
# clients, whose plans are still to be written.
NO_PLAN = ("Specimen", "Examplesworth")
PLAN_REVISED = ("Examplar", 45)  # a second version, signed about this many days ago
PLAN_REVIEW_OVERDUE = ("Imaginary", 60)  # its review fell due this many days after signing
# Measures given in session every two or three sessions, by client. The NHS Talking
# Therapies classes pair PHQ-9 and GAD-7 where both are given.
MEASURED: dict[str, tuple[str, ...]] = {
    "Examplar": ("gad7",), "Testwood": ("phq9",), "Sampleton": ("phq9", "gad7"),
    "Madeup": ("gad7",), "Imaginary": ("gad7",), "Pretendson": ("gad7",),
    "Inventado": ("phq9",), "Fauxley": ("gad7",), "Mockridge": ("phq9", "gad7"),
    "Dummyford": ("gad7",), "Nonesuch": ("gad7",), "Hypothetical": ("phq9",),
    "Fictive": ("gad7",), "Storybook": ("phq9",), "Makebelieve": ("phq9",),
    "Unreal": ("phq9",), "Examplesworth": ("gad7",), "Nobody": ("phq9",),
}
WORSENING = "Sampleton"  # the one client whose scores rise
# Where the scores start and end, when not drawn from the usual ranges.
TRAJECTORY = {("Sampleton", "phq9"): (11, 18), ("Sampleton", "gad7"): (9, 15),
              ("Mockridge", "phq9"): (19, 11)}  # improved, not yet recovered
# Schedules: (client, instrument, every N days). The overdue one is overdue because no
# GAD-7 has been given in the last three weeks.
SCHEDULES = (("Testwood", "phq9", 14), ("Imaginary", "gad7", 14))
MEASURE_OVERDUE = ("Imaginary", 21)
# A PHQ-9 sent as a self-report link after the last session, answered the evening
# before today with item 9 above 0: the open risk alert, and the latest event of the chart.
RISK_ALERT = "Testwood"

_PROGRESS = (
    "reports a hard week: {concern} on most days",
    "reports some improvement and used last session's skills on two occasions",
    "reports a setback mid-week after a stressful event, and recovered faster than before",
    "reports steady progress; {concern} is less intense",
    "reports mixed days: better at work, harder in the evenings",
    "reports completing most of the homework and noticing what helped",
)
_RESPONSE = (
    "engaged well and practised the skill in session",
    "was hesitant at first, then engaged and summarised the main point",
    "engaged fully and set a concrete goal for the week",
    "found the exercise difficult but agreed to try it at home",
)
_INTERVENTION_TEXT = {
    "cognitive_restructuring": "cognitive restructuring of a recent worry episode",
    "behavioral_activation": "behavioral activation: reviewed and scheduled activities",
    "exposure": "graded exposure planning and an in-session exposure step",
    "dbt_skills": "DBT distress-tolerance and emotion-regulation skills",
    "motivational_interviewing": "motivational interviewing on the pros and cons of change",
    "psychoeducation": "psychoeducation on the cycle of symptoms",
    "mindfulness": "brief mindfulness practice",
    "relaxation": "paced breathing and grounding",
    "problem_solving": "structured problem solving on one current difficulty",
    "supportive": "supportive therapy, validating recent losses and strengths",
    "trauma_focused": "trauma-focused work on the memory and its meaning",
}
_MSE = {
    "appearance": "Casually dressed, well groomed", "behavior": "Cooperative, good eye contact",
    "motor": "No abnormal movements", "speech": "Normal rate and volume", "mood": "\"Okay\"",
    "affect": "Mildly anxious, congruent", "thought_process": "Linear and goal-directed",
    "thought_content": "No suicidal or homicidal ideation", "perception": "None reported",
    "cognition": "Alert and oriented x3", "insight": "Good", "judgment": "Good",
}


@dataclass
class Summary:
    practice: Practice
    clients: int = 0
    sessions: int = 0
    signed_notes: int = 0
    drafts: int = 0
    addenda: int = 0
    signed_plans: int = 0
    administrations: int = 0
    open_risk_alerts: int = 0
    audit_events: int = 0


def logins_table() -> str:
    """The demo logins, as printed by `psynote demo` and `make run`."""
    lines = [f"Demo logins (every user's password: {PASSWORD})",
             f"  {'username':<12} {'role':<24} name"]
    for username, role, first, last, credentials, _, supervisor in STAFF:
        label = Role(role).label + (" (supervisee)" if supervisor else "")
        name = f"{first} {last}" + (f", {credentials}" if credentials else "")
        lines.append(f"  {username:<12} {label:<24} {name}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- the demo clock


class _Clock:
    """Makes `django.utils.timezone.now()` read the story's time while `running()`.

    `timezone.now()` is `datetime.now(tz=UTC)` looked up in that module at each call, so
    swapping the module's `datetime` for a subclass whose `now()` reads our time reaches
    every caller, model-field defaults included. Each reading adds a microsecond so that
    events within one step stay strictly ordered.
    """

    def __init__(self) -> None:
        self.at: datetime | None = None
        self._ticks = 0
        self._last: datetime | None = None

    def set(self, moment: datetime) -> None:
        # Two steps may share a minute: never let time run backwards between them.
        self.at = max(moment, self._last) if self._last else moment
        self._ticks = 0

    def read(self, tz: Any = None) -> datetime:
        assert self.at is not None
        self._ticks += 1
        moment = self._last = self.at + timedelta(microseconds=self._ticks)
        return moment.astimezone(tz) if tz is not None else dj_timezone.make_naive(moment)

    @contextmanager
    def running(self) -> Iterator[None]:
        clock = self

        class _StoryDatetime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return clock.read(tz) if clock.at is not None else datetime.now(tz)

        saved = dj_timezone.datetime  # type: ignore[attr-defined]
        dj_timezone.datetime = _StoryDatetime  # type: ignore[attr-defined,misc]
        try:
            self.at = dj_timezone.make_aware(datetime(2000, 1, 1, 12))
            if dj_timezone.now().year != 2000:
                raise RuntimeError("the demo clock cannot set Django's time on this version")
            self.at = self._last = None
            yield
        finally:
            dj_timezone.datetime = saved  # type: ignore[attr-defined,misc]
            self.at = None


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class _Story:
    def __init__(self, today: date) -> None:
        self.today = today
        self.steps: list[_Step] = []
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.rng = random.Random(20240611)  # fixed seed: the same story on every load

    def at(self, day: date, clock: time, run: Callable[[], None],
           after: timedelta = timedelta()) -> datetime:
        moment = dj_timezone.make_aware(datetime.combine(day, clock)) + after
        self.steps.append(_Step(moment, len(self.steps), run))
        return moment

    def weekday(self, days_ago: int) -> date:
        """The working day `days_ago` before today, moved back over a weekend."""
        day = self.today - timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day


def _sections(template: str, story: ClientStory, n: int, rng: random.Random) -> dict[str, str]:
    name = story.first
    progress = rng.choice(_PROGRESS).format(concern=story.concern)
    response = rng.choice(_RESPONSE)
    done = "; ".join(_INTERVENTION_TEXT[key] for key in story.interventions)
    plan = f"Continue sessions every {story.every_days} days. Homework: {story.homework}."
    if template == "intake":
        return {
            "presenting_problem": f"{name} was self-referred for {story.concern}.",
            "history": f"Started about a year ago and worsened over the last three months; "
                       f"worse under stress. {name} rates it 7/10 at its worst.",
            "psychiatric_history": "No previous treatment or hospitalisation. No prior "
                                   "suicide attempts or self-harm.",
            "medical_history": "No significant conditions reported; no current medications.",
            "substance_use": "Alcohol socially, one or two drinks a week; no drugs or tobacco."
            if "F10.20" not in story.codes else
            "Four to six drinks most evenings for two years; no withdrawal symptoms reported.",
            "social_history": "Lives with a partner or friends; works or studies full time; "
                              "supportive family at a distance.",
            "diagnostic_impression": f"Presentation is consistent with the diagnoses recorded "
                                     f"today ({', '.join(story.codes)}).",
            "plan": f"Goal: {story.goal}. Start {done}. {plan}",
        }
    if template == "soap":
        return {"subjective": f"{name} {progress}.",
                "objective": "Alert, on time, good eye contact; affect congruent with mood.",
                "assessment": f"Working toward: {story.goal}. Gradual progress.",
                "plan": plan}
    if template == "dap":
        return {"data": f"{name} {progress}. Appeared engaged; affect congruent.",
                "assessment": f"Progress toward the goal ({story.goal}) is gradual.",
                "plan": plan}
    if template == "birp":
        return {"behavior": f"{name} arrived on time and {progress}.",
                "intervention": done.capitalize() + ".",
                "response": f"{name} {response}.",
                "plan": plan}
    return {"goal": story.goal.capitalize() + ".",
            "intervention": done.capitalize() + ".",
            "response": f"{name} {response}; {progress}.",
            "plan": plan}


RISK_BLOCK = {
    "flagged": True, "si": "passive", "hi": "none", "level": "moderate",
    "si_plan": "Denies any plan, timing or preparatory acts.",
    "si_intent": "Denies intent; says he would not act on the thoughts.",
    "means": "No firearms at home; partner agreed to keep medications locked.",
    "history": "No prior attempts, aborted attempts or self-harm.",
    "hi_detail": "",
    "risk_factors": "Recent job loss, worsening mood, poor sleep, social withdrawal.",
    "protective_factors": "Close to his partner and daughter; future-oriented; engaged in "
                          "treatment; no access to firearms.",
    "rationale": "Passive ideation with clear protective factors and no plan or intent: "
                 "moderate risk, managed as an outpatient with a safety plan.",
    "safety_plan": "Written safety plan completed together: warning signs, coping steps, "
                   "people and crisis lines to call, means safety agreed.",
    "follow_up": "Check-in call in two days by the treating clinician; next session in a week.",
}


def _session_plan(story: _Story, spec: ClientStory) -> list[tuple[date, str]]:
    """(date, kind) of every past session: 'intake', 'note', or an attendance value."""
    first = story.weekday(spec.intake_days_ago)
    days, day = [], first
    while (story.today - day).days >= 5:  # the last few days are written specially
        days.append(day)
        day += timedelta(days=spec.every_days)
    return [(d, "intake" if i == 0 else "note") for i, d in enumerate(days)]


def _nearest(plan: list[tuple[date, str]], today: date, days_ago: int) -> int:
    target = today - timedelta(days=days_ago)
    return min(range(1, len(plan)), key=lambda i: abs((plan[i][0] - target).days))


@dataclass
class _Course:
    """What the measures and the plan do over one client's sessions."""

    scores: dict[int, dict[str, int]] = field(default_factory=dict)  # session index → scores
    baseline: dict[str, int] = field(default_factory=dict)
    plan_at: int | None = None  # session index at which the plan is signed
    revise_at: int | None = None
    ratings: dict[int, str] = field(default_factory=dict)  # session index → rating


_RATING_COMMENTS = {
    "progressing": ("Practised between sessions on most days.",
                    "Reports it is getting easier; the scores agree.",
                    "Used the skill in a hard moment this week."),
    "no_change": ("A busy week; little practice.", "Holding steady, not yet moving."),
    "regressing": ("More days lost to the problem than last time.",),
}


def _answers(instrument_key: str, total: int, rng: random.Random,
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


def _course(story: _Story, spec: ClientStory, plan: list[tuple[date, str]],
            kinds: list[str]) -> _Course:
    rng = random.Random(f"demo-measures-{spec.last}")  # its own seed: the rest stays put
    course = _Course()
    if spec.last not in NO_PLAN and len(plan) > 1:
        course.plan_at = 1
        if spec.last == PLAN_REVISED[0]:
            course.revise_at = _nearest(plan, story.today, PLAN_REVISED[1])
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


def _plan_document(spec: ClientStory, client: Client, clinician: User, day: date,
                   course: _Course, number: int) -> dict[str, Any]:
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
                "modality": _INTERVENTION_TEXT[key][0].upper() + _INTERVENTION_TEXT[key][1:],
                "frequency": f"Every {spec.every_days} days, 50 minutes",
                "responsible_user_id": clinician.pk, "responsible": ""}
                for key in spec.interventions],
        }],
    }


def _revise(structure: dict[str, Any], day: date) -> dict[str, Any]:
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


def _write_client(story: _Story, spec: ClientStory, number: int) -> None:
    clinician = story.users[spec.clinician]
    template = TEMPLATE_OF[spec.clinician]
    plan = _session_plan(story, spec)
    specials: dict[int, str] = {}
    moments = [(NO_SHOW, "no_show"), (LATE_CANCEL, "late_cancelled"), (RISK_NOTE, "risk"),
               (LATE_ENTRY, "late"), *((entry, "addendum") for entry in ADDENDA)]
    for (surname, days_ago, *_), kind in moments:
        if spec.last == surname:
            specials[_nearest(plan, story.today, days_ago)] = kind
    psychotherapy = {_nearest(plan, story.today, days_ago): body
                     for surname, days_ago, body in PSYCHOTHERAPY_NOTES if spec.last == surname}
    if spec.last in DRAFTS:
        plan.append((story.weekday(1), "draft"))
    elif spec.last in NO_NOTE_YET:
        plan.append((story.weekday(2), "attended"))

    def create_client() -> None:
        story.clients[spec.last] = client_actions.create_client(
            by=story.users["frontdesk"], primary_clinician=clinician,
            first_name=spec.first, last_name=spec.last, pronouns=spec.pronouns,
            date_of_birth=spec.born, sex_assigned_at_birth=spec.sex,
            phone=f"555-01{number:02d}", email=f"{spec.first.lower()}@example.com",
            address=f"{number} Example Street, Sampletown",
            emergency_contact=f"Jordan {spec.last} (relative), 555-0199")

    story.at(plan[0][0] - timedelta(days=3), time(11, 0), create_client)
    kinds = [specials.get(index, kind) for index, (_, kind) in enumerate(plan)]
    course = _course(story, spec, plan, kinds)
    for index, (day, _) in enumerate(plan):
        _write_session(story, spec, clinician, template, index, day, kinds[index],
                       psychotherapy.get(index), course, number)
    if spec.last == RISK_ALERT:
        _write_risk_alert(story, spec, clinician)


def _write_risk_alert(story: _Story, spec: ClientStory, clinician: User) -> None:
    state: dict[str, Any] = {}

    def send_link() -> None:
        state["token"] = measure_actions.create_self_report_link(
            by=clinician, client=story.clients[spec.last], instrument_key="phq9", days=7)[1]

    def answer_link() -> None:
        answers = _answers("phq9", 11, random.Random("demo-risk-alert"), item_9=1)
        measure_actions.submit_self_report(token=state["token"], answers=answers)

    story.at(story.weekday(2), time(9, 30), send_link)
    story.at(story.today - timedelta(days=1), time(20, 15), answer_link)


def _write_session(story: _Story, spec: ClientStory, clinician: User, template: str,
                   index: int, day: date, kind: str, psychotherapy: str | None,
                   course: _Course, number: int) -> None:
    intake = kind == "intake"
    minutes = 60 if intake else story.rng.choice((45, 50, 53, 55))
    start = time(spec.hour, 0)
    end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
    state: dict[str, Any] = {}
    attendance = kind if kind in ("no_show", "late_cancelled") else "attended"
    video = spec.video and not intake

    def client() -> Client:
        return story.clients[spec.last]

    def create_session() -> None:
        state["session"] = visit_actions.create_session(
            by=clinician, client=client(), clinician=clinician, date=day, start_time=start,
            end_time=end, attendance=attendance,
            service=cpt.DIAGNOSTIC_EVALUATION if intake else cpt.PSYCHOTHERAPY,
            modality=Session.Modality.VIDEO if video else Session.Modality.IN_PERSON,
            place=Session.Place.CLIENT_HOME if video else Session.Place.OFFICE)

    story.at(day, end, create_session, timedelta(minutes=2))
    if attendance != "attended":
        return

    def administer() -> None:
        rng = random.Random(f"demo-answers-{spec.last}-{index}")
        for key, total in course.scores[index].items():
            measure_actions.administer(
                by=clinician, client=client(), instrument_key=key,
                answers=_answers(key, total, rng),
                administered_at=dj_timezone.make_aware(datetime.combine(day, start))
                + timedelta(minutes=5))

    if index in course.scores:
        story.at(day, end, administer, timedelta(minutes=3))
    if index == course.plan_at:
        def sign_plan() -> None:
            version = plan_actions.start_version(by=clinician, client=client())
            document = _plan_document(spec, client(), clinician, day, course, number)
            version = plan_actions.save_structure(by=clinician, version=version,
                                                  structure=document)
            plan_actions.sign_version(by=clinician, version=version)
            for surname, key, every in SCHEDULES:
                if surname == spec.last:
                    measure_actions.set_schedule(by=clinician, client=client(),
                                                 instrument_key=key, every_n_days=every)
        story.at(day, end, sign_plan, timedelta(minutes=6))
    if index == course.revise_at:
        def revise_plan() -> None:
            current = plan_queries.in_force(client())
            version = plan_actions.start_version(by=clinician, client=client())
            version = plan_actions.save_structure(
                by=clinician, version=version, structure=_revise(current.structure(), day))
            plan_actions.sign_version(by=clinician, version=version)
        story.at(day, end, revise_plan, timedelta(minutes=6))
    if kind == "attended":
        return

    if intake:
        def add_diagnoses() -> None:
            for position, code in enumerate(spec.codes):
                client_actions.add_diagnosis(by=clinician, client=client(), code=code,
                                             is_primary=position == 0)
        story.at(day, end, add_diagnoses, timedelta(minutes=5))

    sections = _sections("intake" if intake else template, spec, index, story.rng)

    def write_draft() -> None:
        note = note_actions.start_note(by=clinician, session=state["session"],
                                       template="intake" if intake else template)
        changes: dict[str, Any] = {"sections": sections,
                                   "diagnosis_codes": list(spec.codes),
                                   "interventions": list(spec.interventions)}
        if intake or index % 3 == 0:
            changes["mse"] = _MSE
        if kind == "risk":
            changes["risk"] = RISK_BLOCK
            changes["mse"] = {**_MSE, "mood": "\"Hopeless\"", "affect": "Constricted, sad",
                              "thought_content": "Passive suicidal ideation; no plan or intent"}
            changes["interventions"] = [*spec.interventions, "safety_planning"]
            changes["sections"] = {**sections, "subjective": f"{spec.first} reports a hard "
                                   "week with passive thoughts that everyone would be better "
                                   "off without him; denies plan or intent."}
        rating = course.ratings.get(index)
        if rating and (open_objectives := plan_queries.active_objectives(client())):
            comments = _RATING_COMMENTS[rating]
            changes["objectives"] = [
                {"objective_key": objective.key, "rating": rating,
                 "comment": comments[(index + n) % len(comments)]}
                for n, objective in enumerate(open_objectives[:2])]
        if kind == "draft":  # written in part, to be finished later
            changes["sections"] = {key: value for key, value in list(sections.items())[:2]}
        state["note"] = note_actions.save_draft(by=clinician, note=note, changes=changes)

    story.at(day, end, write_draft, timedelta(minutes=story.rng.randint(15, 50)))
    if kind == "draft":
        return

    if kind == "late":
        delay = timedelta(days=LATE_ENTRY[2], hours=2)
        reason = ("Clinician was off sick the day after the session; the note was completed "
                  "from in-session jottings on return.")
    else:
        delay, reason = timedelta(hours=story.rng.randint(1, 5)), ""

    def sign() -> None:
        state["note"] = note_actions.sign_note(by=clinician, note=state["note"],
                                               late_reason=reason)

    signed_at = story.at(day, end, sign, delay)

    if kind == "addendum":
        _, _, addendum_kind, body = next(a for a in ADDENDA if a[0] == spec.last)

        def add_addendum() -> None:
            note_actions.add_addendum(by=clinician, note=state["note"], body=body,
                                      kind=addendum_kind)
        story.at(day, end, add_addendum, signed_at - dj_timezone.make_aware(
            datetime.combine(day, end)) + timedelta(days=1, hours=1))

    if psychotherapy:
        def write_psychotherapy_note() -> None:
            _open_psychotherapy_key(clinician)
            note_actions.write_psychotherapy_note(by=clinician, client=client(),
                                                  body=psychotherapy, session=state["session"])
        story.at(day, end, write_psychotherapy_note, timedelta(minutes=10))


def _open_psychotherapy_key(clinician: User) -> None:
    """As the clinician does when signing in: their psychotherapy-note key opens with their
    (published) password, made on first use; held for the rest of the demo (ADR 0009)."""
    if keyring.is_open(clinician.pk):
        return
    key = psychotherapy_keys.unlock(user=clinician, password=PASSWORD)
    if key is None:
        key, _ = psychotherapy_keys.set_up(user=clinician, password=PASSWORD)
    keyring.hold(clinician.pk, key)


def _write_staff(story: _Story, practice: Practice) -> None:
    for username, role, first, last, credentials, licence, supervisor in STAFF:
        story.users[username] = account_actions.create_user(
            by=story.users.get("admin"), practice=practice, username=username,
            password=PASSWORD, role=role, first_name=first, last_name=last,
            email=f"{username}@example.com", credentials=credentials,
            licence_number=licence, licence_state=LICENCE_STATE if licence else "",
            supervisor=story.users[supervisor] if supervisor else None)


def _write_upcoming(story: _Story) -> None:
    """Next week's schedule, booked today (outside the story clock)."""
    for offset, surname in enumerate(UPCOMING):
        spec = next(s for s in CLIENTS if s.last == surname)
        clinician = story.users[spec.clinician]
        day = story.today + timedelta(days=7 - story.today.weekday() + offset % 5)
        visit_actions.create_session(
            by=story.users["frontdesk"], client=story.clients[surname], clinician=clinician,
            date=day, start_time=time(spec.hour, 0), end_time=time(spec.hour, 50))


@transaction.atomic
def load() -> Summary:
    """Write the whole demo practice in one transaction; return what was written."""
    today = dj_timezone.localdate()
    story = _Story(today)
    clock = _Clock()
    with clock.running():
        clock.set(dj_timezone.make_aware(datetime.combine(
            today - timedelta(days=HISTORY_DAYS + 5), time(8, 0))))
        practice = Practice.objects.create(name=PRACTICE_NAME)
        log.record(practice_id=practice.pk, action="practice.create", target_type="practice",
                   target_id=practice.pk, detail={"name": practice.name})
        clock.set(clock.at + timedelta(minutes=30))
        _write_staff(story, practice)
        for number, spec in enumerate(CLIENTS, start=1):
            _write_client(story, spec, number)
        clock.at = None
        real_now = dj_timezone.now()
        for step in sorted(story.steps):
            if step.at >= real_now:
                raise RuntimeError(f"demo story step in the future: {step.at}")
            clock.set(step.at)
            step.run()
    _write_upcoming(story)
    notes = ProgressNote.objects.filter(client__practice=practice)
    return Summary(
        practice=practice,
        clients=Client.objects.filter(practice=practice).count(),
        sessions=Session.objects.filter(client__practice=practice).count(),
        signed_notes=notes.signed().count(),
        drafts=notes.drafts().count(),
        addenda=Addendum.objects.filter(note__client__practice=practice).count(),
        signed_plans=PlanVersion.objects.signed().filter(
            plan__client__practice=practice).count(),
        administrations=Administration.objects.filter(client__practice=practice).count(),
        open_risk_alerts=RiskAlert.objects.open().filter(client__practice=practice).count(),
        audit_events=AuditEvent.objects.filter(practice_id=practice.pk).count(),
    )
