from datetime import date

import pytest

from psynote import testing as t
from psynote.notes import actions as note_actions


def signed_note_on(client, clinician, day: date, text: str = "Client reports fictional week."):
    """A signed progress note for a session on `day` (late entry if long ago)."""
    session = t.make_session(client, clinician, day=day)
    note = note_actions.start_note(by=clinician, session=session, template="soap")
    codes = [d.code for d in client.diagnoses.all()]
    note = note_actions.save_draft(
        by=clinician,
        note=note,
        changes={"sections": t.SOAP | {"subjective": text}, "diagnosis_codes": codes},
    )
    return note_actions.sign_note(by=clinician, note=note, late_reason="Fictional late entry.")


@pytest.fixture
def old_client(cast):
    """An adult client of alice's, last seen nine years ago: due for destruction."""
    client = t.make_client(
        cast.alice, first_name="Olden", last_name="Fictional", date_of_birth=date(1970, 3, 3)
    )
    note = signed_note_on(client, cast.alice, date(2017, 6, 1))
    return client, note
