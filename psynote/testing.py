"""Plain factory functions for tests and benchmarks: a fictional practice, built through
the same actions the app uses. Nothing here is a real person."""

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from psynote.accounts import actions as account_actions
from psynote.accounts.models import Practice, Role, User
from psynote.clients import actions as client_actions
from psynote.clients.models import Client
from psynote.notes import actions as note_actions
from psynote.notes.models import ProgressNote
from psynote.visits import actions as visit_actions
from psynote.visits.models import Session

PASSWORD = "fictional-pass-123"


def make_practice(name: str = "Fictional Test Practice") -> Practice:
    return Practice.objects.create(name=name)


def make_user(practice: Practice, username: str, role: str = Role.CLINICIAN, **fields: Any
              ) -> User:
    fields.setdefault("first_name", username.capitalize())
    fields.setdefault("last_name", "Testperson")
    if role in (Role.CLINICIAN, Role.SUPERVISOR):
        fields.setdefault("credentials", "PhD")
    return account_actions.create_user(by=None, practice=practice, username=username,
                                       password=PASSWORD, role=role, **fields)


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
    codes = list(session.client.diagnoses.values_list("code", flat=True))
    note = note_actions.save_draft(by=author, note=note, changes={
        "sections": sections if sections is not None else SOAP,
        "diagnosis_codes": codes, **changes})
    if sign:
        note = note_actions.sign_note(by=author, note=note)
    return note
