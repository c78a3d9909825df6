from datetime import date, timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.notes.templates import BUILTIN_TEMPLATES


def note_with(client, clinician, text: str, *, sign: bool = True, day: date | None = None,
              template: str = "soap"):
    """A progress note whose subjective section (first section) holds `text`."""
    session = t.make_session(client, clinician, day=day or timezone.localdate())
    keys = [section.key for section in BUILTIN_TEMPLATES[template].sections]
    sections = {key: "Fictional." for key in keys} | {keys[0]: text}
    return t.make_note(session, template=template, sections=sections, sign=sign)


@pytest.fixture
def notes(cast):
    """The marker word `quillotine` in one note of each of three clients: alice's, bob's
    and sue's (supervised by sam)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        "alice": note_with(cast.client, cast.alice, "Talked about the quillotine dream.",
                           day=yesterday),
        "bob": note_with(cast.other_client, cast.bob, "A quillotine, again, at work.",
                         day=yesterday),
        "sue": note_with(cast.supervisee_client, cast.sue, "Quillotine worries eased.",
                         day=yesterday),
    }
