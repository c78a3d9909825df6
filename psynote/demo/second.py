"""The demo's second practice: Juniper Bend Therapy (fictional demo), smaller than Harbor
Light, in the same installation, to show the wall between practices (ADR 0010, "Several
practices"): its users see none of Harbor Light's records, and Harbor Light's none of its.

An admin, two clinicians and four clients with a few weeks of signed notes, replayed
through the application's actions under the demo clock like the first practice
(`psynote.demo.runner`). Every person here is invented; phone numbers are in the 555-01xx
range reserved for fiction, e-mail addresses at example.com.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone as dj_timezone

from psynote.accounts import actions as account_actions
from psynote.accounts.models import Practice, Role
from psynote.audit import log
from psynote.clients import actions as client_actions
from psynote.demo.clock import Clock, Replay
from psynote.demo.story import PASSWORD, ClientStory
from psynote.demo.texts import note_sections
from psynote.notes import actions as note_actions
from psynote.notes.models import ProgressNote
from psynote.visits import actions as visit_actions
from psynote.visits import cpt

SECOND_PRACTICE_NAME = "Juniper Bend Therapy (fictional demo)"
SESSIONS_EACH = 4  # weekly, the last one two days ago

# username, role, first name, last name, credentials (the same published password).
SECOND_STAFF: tuple[tuple[str, str, str, str, str], ...] = (
    ("juniper-admin", Role.ADMIN, "Jo", "Juniperton", ""),
    ("juniper-clinician", Role.CLINICIAN, "Quinn", "Quillfeather", "LMFT"),
    ("juniper-clinician2", Role.CLINICIAN, "Rowan", "Riverbend", "PsyD"),
)

SECOND_CLIENTS: tuple[ClientStory, ...] = (
    ClientStory("Nova", "Fictionwood", "she/her", date(1991, 4, 2), "female",
                "juniper-clinician", ("F41.1",), "worry about money and her children",
                "worry under an hour a day", ("cognitive_restructuring", "relaxation"),
                "worry log", 0, hour=9),
    ClientStory("Oren", "Makebelieve", "he/him", date(1984, 9, 19), "male",
                "juniper-clinician", ("F32.0",), "low mood since a move for work",
                "two valued activities a week", ("behavioral_activation",),
                "activity schedule", 0, hour=10),
    ClientStory("Pax", "Storybook", "they/them", date(1999, 1, 11), "unknown",
                "juniper-clinician2", ("F40.10",), "fear of speaking in meetings",
                "speaks once in each team meeting", ("exposure", "psychoeducation"),
                "graded exposure steps", 0, hour=11),
    ClientStory("Reese", "Talespin", "she/her", date(1976, 6, 30), "female",
                "juniper-clinician2", ("F51.01",), "trouble falling asleep",
                "falls asleep within thirty minutes most nights", ("relaxation",),
                "sleep diary", 0, hour=14),
)
TEMPLATE_OF = {"juniper-clinician": "soap", "juniper-clinician2": "dap"}


@dataclass
class SecondSummary:
    practice: Practice
    clients: int
    signed_notes: int


def second_logins_table() -> str:
    lines = [f"{SECOND_PRACTICE_NAME} (same password)"]
    for username, role, first, last, credentials in SECOND_STAFF:
        name = f"{first} {last}" + (f", {credentials}" if credentials else "")
        lines.append(f"  {username:<19} {Role(role).label:<17} {name}")
    return "\n".join(lines)


def _write_client(story: Replay, spec: ClientStory, number: int) -> None:
    clinician = story.users[spec.clinician]
    days = [story.weekday(2 + 7 * n) for n in reversed(range(SESSIONS_EACH))]

    def create_client() -> None:
        story.clients[spec.last] = client_actions.create_client(
            by=story.users["juniper-admin"], primary_clinician=clinician,
            first_name=spec.first, last_name=spec.last, pronouns=spec.pronouns,
            date_of_birth=spec.born, sex_assigned_at_birth=spec.sex,
            phone=f"555-01{50 + number:02d}", email=f"{spec.first.lower()}@example.com",
            address=f"{number} Fable Lane, Sampletown")
        for position, code in enumerate(spec.codes):
            client_actions.add_diagnosis(by=clinician, client=story.clients[spec.last],
                                         code=code, is_primary=position == 0)

    story.at(days[0] - timedelta(days=3), time(11, 0), create_client)
    for index, day in enumerate(days):
        start = time(spec.hour, 0)
        end = (datetime.combine(day, start) + timedelta(minutes=50)).time()
        sections = note_sections(TEMPLATE_OF[spec.clinician], spec, index, story.rng)

        def write(day: date = day, start: time = start, end: time = end,
                  sections: dict[str, str] = sections) -> None:
            session = visit_actions.create_session(
                by=clinician, client=story.clients[spec.last], clinician=clinician,
                date=day, start_time=start, end_time=end, attendance="attended",
                service=cpt.PSYCHOTHERAPY)
            note = note_actions.start_note(by=clinician, session=session,
                                           template=TEMPLATE_OF[spec.clinician])
            note_actions.save_draft(by=clinician, note=note, changes={
                "sections": sections, "diagnosis_codes": list(spec.codes),
                "interventions": list(spec.interventions)})

        story.at(day, end, write, timedelta(minutes=20))

        def sign(day: date = day) -> None:
            note = ProgressNote.objects.get(client=story.clients[spec.last],
                                            session__date=day)
            note_actions.sign_note(by=clinician, note=note)

        story.at(day, end, sign, timedelta(hours=2))


@transaction.atomic
def load_second() -> SecondSummary:
    """Write the whole second practice in one transaction, under its own demo clock (the
    first practice's clock has run up to today, and a clock never runs backwards)."""
    clock = Clock()
    with clock.running():
        return _replay(clock)


def _replay(clock: Clock) -> SecondSummary:
    today = dj_timezone.localdate()
    story = Replay(today)
    clock.set(dj_timezone.make_aware(datetime.combine(
        today - timedelta(days=7 * SESSIONS_EACH + 7), time(8, 0))))
    practice = Practice.objects.create(name=SECOND_PRACTICE_NAME)
    log.record(practice_id=practice.pk, action="practice.create", target_type="practice",
               target_id=practice.pk, detail={"name": practice.name})
    for username, role, first, last, credentials in SECOND_STAFF:
        story.users[username] = account_actions.create_user(
            by=story.users.get("juniper-admin"), practice=practice, username=username,
            password=PASSWORD, one_time=False, role=role, first_name=first, last_name=last,
            email=f"{username}@example.com", credentials=credentials)
    for number, spec in enumerate(SECOND_CLIENTS, start=1):
        _write_client(story, spec, number)
    for step in sorted(story.steps):
        clock.set(step.at)
        step.run()
    return SecondSummary(
        practice=practice, clients=len(SECOND_CLIENTS),
        signed_notes=ProgressNote.objects.filter(client__practice=practice).signed().count())
