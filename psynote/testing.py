"""Plain factory functions for tests and benchmarks: a fictional practice, built through
the same actions the app uses. Nothing here is a real person."""

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from psynote.accounts import actions as account_actions
from psynote.accounts.models import Practice, Role, User
from psynote.clients import actions as client_actions
from psynote.clients.models import Client
from psynote.lib import session_vault
from psynote.notes import actions as note_actions
from psynote.notes import keyring, psychotherapy_keys
from psynote.notes.models import ProgressNote
from psynote.supervision import actions as supervision_actions
from psynote.supervision.models import Mode
from psynote.visits import actions as visit_actions
from psynote.visits.models import Session

PASSWORD = "fictional-pass-123"


def make_practice(name: str = "Fictional Test Practice") -> Practice:
    return Practice.objects.create(name=name)


def make_user(practice: Practice, username: str, role: str = Role.CLINICIAN, *,
              password: str = PASSWORD, **fields: Any) -> User:
    fields.setdefault("first_name", username.capitalize())
    fields.setdefault("last_name", "Testperson")
    if role in (Role.CLINICIAN, Role.SUPERVISOR):
        fields.setdefault("credentials", "PhD")
    supervisor = fields.pop("supervisor", None)
    mode = fields.pop("supervision_mode", Mode.REVIEW)
    user = account_actions.create_user(by=None, practice=practice, username=username,
                                       password=password, role=role, **fields)
    if supervisor is not None:
        supervision_actions.set_supervision(by=None, supervisor=supervisor, supervisee=user,
                                            mode=mode)
    return user


def user_form(user: User, *, password: str = "") -> dict[str, str]:
    """What the admin's user page posts for `user` unchanged, with `password` as a reset."""
    data = {
        "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "role": user.role, "credentials": user.credentials,
        "licence_number": user.licence_number, "licence_state": user.licence_state,
        "password1": password,
        "password2": password,
    }
    return data | ({"is_active": "on"} if user.is_active else {})


def open_psychotherapy_notes(user: User, browser: Any = None, *,
                             password: str = PASSWORD) -> bytes:
    """Open `user`'s psychotherapy-note key the way the author does, with their password
    (making the key on first use), and hold it for the rest of this test: actions and
    `PsychotherapyNote.body()` then work as in the author's own signed-in request.

    `browser`, a Django test client logged in as `user` (e.g. with `force_login`), also
    gets the key in its session and cookie, as the login page gives it. Without this, the
    notes stay sealed, as they are for anyone who has not given the author's secret.
    The root conftest closes every key after each test."""
    key = psychotherapy_keys.unlock(user=user, password=password)
    if key is None:
        key, _ = psychotherapy_keys.set_up(user=user, password=password)
    keyring.hold(user.pk, key)
    if browser is not None:
        session = browser.session
        cookie_key = session_vault.seal_into(session, keyring.vault_name(user.pk), key)
        session.save()
        browser.cookies[session_vault.COOKIE_NAME] = session_vault.cookie_value(cookie_key)
    return key


def make_client(clinician: User, *, first_name: str = "Fictional", last_name: str = "Client",
                diagnosis: str | None = "F41.1", **fields: Any) -> Client:
    fields.setdefault("date_of_birth", date(1990, 5, 17))
    client = client_actions.create_client(by=clinician, primary_clinician=clinician,
                                          first_name=first_name, last_name=last_name, **fields)
    if diagnosis:
        client_actions.add_diagnosis(by=clinician, client=client, code=diagnosis,
                                     is_primary=True)
    return client


def make_session(client: Client, clinician: User, *, day: date | None = None,
                 start: time = time(10, 0), minutes: int = 50, **fields: Any) -> Session:
    day = day or timezone.localdate()
    end = (timezone.datetime.combine(day, start) + timedelta(minutes=minutes)).time()
    fields.setdefault("attendance", Session.Attendance.ATTENDED)
    return visit_actions.create_session(by=clinician, client=client, clinician=clinician,
                                        date=day, start_time=start, end_time=end, **fields)


SOAP = {
    "subjective": "Client reports fictional week.",
    "objective": "Calm, engaged.",
    "assessment": "Progressing.",
    "plan": "Continue weekly.",
}


def make_note(session: Session, *, template: str = "soap", sections: dict | None = None,
              sign: bool = False, **changes: Any) -> ProgressNote:
    author = session.clinician
    note = note_actions.start_note(by=author, session=session, template=template)
    codes = [d.code for d in session.client.diagnoses.all()]
    note = note_actions.save_draft(by=author, note=note, changes={
        "sections": sections if sections is not None else SOAP,
        "diagnosis_codes": codes, **changes})
    if sign:
        note = note_actions.sign_note(by=author, note=note)
    return note


def plan_structure(client: Client, *, objectives: int = 1) -> dict[str, Any]:
    """A treatment plan that may be signed: one problem on the client's first diagnosis,
    one goal, `objectives` measurable objectives, one intervention. Fictional text."""
    diagnosis = client.diagnoses.order_by("pk").first()
    return {
        "client_agreement_date": timezone.localdate().isoformat(),
        "client_agreement_method": "signed_screen",
        "review_due": None,
        "problems": [{
            "diagnosis_id": diagnosis.pk if diagnosis else None,
            "text": "Fictional worry most days, keeping the client from work.",
            "goals": [{
                "text": "Worry less and return to work.",
                "objectives": [{
                    "text": f"Fictional objective {n}: practise worry time daily.",
                    "baseline": "GAD-7 of 15", "target": "GAD-7 below 10",
                    "target_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
                    "status": "in_progress",
                } for n in range(1, objectives + 1)],
            }],
            "interventions": [{"modality": "Individual CBT", "frequency": "Weekly, 50 minutes",
                               "responsible": "clinician"}],
        }],
    }


def make_plan(client: Client, clinician: User, *, sign: bool = True, objectives: int = 1,
              **overrides: Any) -> Any:
    """A treatment-plan version for `client`, signed (in force) unless sign=False."""
    from psynote.plans import actions as plan_actions

    version = plan_actions.start_version(by=clinician, client=client)
    structure = plan_structure(client, objectives=objectives) | overrides
    version = plan_actions.save_structure(by=clinician, version=version, structure=structure)
    if sign:
        version = plan_actions.sign_version(by=clinician, version=version)
    return version
