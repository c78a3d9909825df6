"""Load the demo story: replay `psynote.demo.story` through the application's actions.

The record is built only through the actions the application itself uses
(`accounts.actions`, `clients.actions`, `visits.actions`, `notes.actions`, `plans.actions`,
`measures.actions`), so the audit chain, content hashes and encryption are the real thing
and `psynote verify` checks them. Each write is a step at its moment in the story; `load()`
runs the steps in time order under the demo clock (`psynote.demo.clock`).
"""

import random
from dataclasses import dataclass
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
from psynote.demo.clock import Clock, Replay
from psynote.demo.course import (
    Course,
    course_of,
    item_answers,
    nearest,
    plan_document,
    revise,
    session_plan,
)
from psynote.demo.story import (
    ADDENDA,
    CLIENTS,
    DRAFTS,
    HISTORY_DAYS,
    LATE_CANCEL,
    LATE_ENTRY,
    LICENCE_STATE,
    NO_NOTE_YET,
    NO_SHOW,
    PASSWORD,
    PRACTICE_NAME,
    PSYCHOTHERAPY_NOTES,
    RISK_ALERT,
    RISK_NOTE,
    SCHEDULES,
    STAFF,
    TEMPLATE_OF,
    UPCOMING,
    ClientStory,
)
from psynote.demo.texts import MSE, RATING_COMMENTS, RISK_BLOCK, note_sections
from psynote.measures import actions as measure_actions
from psynote.measures.models import Administration, RiskAlert
from psynote.notes import actions as note_actions
from psynote.notes import keyring, psychotherapy_keys
from psynote.notes.models import Addendum, ProgressNote
from psynote.plans import actions as plan_actions
from psynote.plans import queries as plan_queries
from psynote.plans.models import PlanVersion
from psynote.supervision import actions as supervision_actions
from psynote.visits import actions as visit_actions
from psynote.visits import cpt
from psynote.visits.models import Session


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


def _write_client(story: Replay, spec: ClientStory, number: int) -> None:
    clinician = story.users[spec.clinician]
    template = TEMPLATE_OF[spec.clinician]
    plan = session_plan(story, spec)
    specials: dict[int, str] = {}
    moments = [(NO_SHOW, "no_show"), (LATE_CANCEL, "late_cancelled"), (RISK_NOTE, "risk"),
               (LATE_ENTRY, "late"), *((entry, "addendum") for entry in ADDENDA)]
    for (surname, days_ago, *_), kind in moments:
        if spec.last == surname:
            specials[nearest(plan, story.today, days_ago)] = kind
    psychotherapy = {nearest(plan, story.today, days_ago): body
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
    course = course_of(story, spec, plan, kinds)
    for index, (day, _) in enumerate(plan):
        _write_session(story, spec, clinician, template, index, day, kinds[index],
                       psychotherapy.get(index), course, number)
    if spec.last == RISK_ALERT:
        _write_risk_alert(story, spec, clinician)


def _write_risk_alert(story: Replay, spec: ClientStory, clinician: User) -> None:
    state: dict[str, Any] = {}

    def send_link() -> None:
        state["token"] = measure_actions.create_self_report_link(
            by=clinician, client=story.clients[spec.last], instrument_key="phq9", days=7)[1]

    def answer_link() -> None:
        answers = item_answers("phq9", 11, random.Random("demo-risk-alert"), item_9=1)
        measure_actions.submit_self_report(token=state["token"], answers=answers)

    story.at(story.weekday(2), time(9, 30), send_link)
    story.at(story.today - timedelta(days=1), time(20, 15), answer_link)


def _write_session(story: Replay, spec: ClientStory, clinician: User, template: str,
                   index: int, day: date, kind: str, psychotherapy: str | None,
                   course: Course, number: int) -> None:
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
                answers=item_answers(key, total, rng),
                administered_at=dj_timezone.make_aware(datetime.combine(day, start))
                + timedelta(minutes=5))

    if index in course.scores:
        story.at(day, end, administer, timedelta(minutes=3))
    if index == course.plan_at:
        def sign_plan() -> None:
            version = plan_actions.start_version(by=clinician, client=client())
            document = plan_document(spec, client(), clinician, day, course, number)
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
                by=clinician, version=version, structure=revise(current.structure(), day))
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

    sections = note_sections("intake" if intake else template, spec, index, story.rng)

    def write_draft() -> None:
        note = note_actions.start_note(by=clinician, session=state["session"],
                                       template="intake" if intake else template)
        changes: dict[str, Any] = {"sections": sections,
                                   "diagnosis_codes": list(spec.codes),
                                   "interventions": list(spec.interventions)}
        if intake or index % 3 == 0:
            changes["mse"] = MSE
        if kind == "risk":
            changes["risk"] = RISK_BLOCK
            changes["mse"] = {**MSE, "mood": "\"Hopeless\"", "affect": "Constricted, sad",
                              "thought_content": "Passive suicidal ideation; no plan or intent"}
            changes["interventions"] = [*spec.interventions, "safety_planning"]
            changes["sections"] = {**sections, "subjective": f"{spec.first} reports a hard "
                                   "week with passive thoughts that everyone would be better "
                                   "off without him; denies plan or intent."}
        rating = course.ratings.get(index)
        if rating and (open_objectives := plan_queries.active_objectives(client())):
            comments = RATING_COMMENTS[rating]
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


def _write_staff(story: Replay, practice: Practice) -> None:
    for username, role, first, last, credentials, licence, supervisor in STAFF:
        story.users[username] = account_actions.create_user(
            by=story.users.get("admin"), practice=practice, username=username,
            password=PASSWORD, one_time=False, role=role, first_name=first, last_name=last,
            email=f"{username}@example.com", credentials=credentials,
            licence_number=licence, licence_state=LICENCE_STATE if licence else "")
        if supervisor:
            supervision_actions.set_supervision(
                by=story.users.get("admin"), supervisor=story.users[supervisor],
                supervisee=story.users[username])


def _write_upcoming(story: Replay) -> None:
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
    story = Replay(today)
    clock = Clock()
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
