"""Supervision meeting notes never reach the database in clear: sealed under the
supervisee's own data key (wrapped by the master key), bound to their entry's row."""

from uuid import uuid4

import pytest

from psynote.hours import actions
from psynote.hours.models import Entry
from psynote.lib import crypto
from psynote.lib.tests import at_rest


def test_meeting_notes_are_sealed(cast, log):
    markers = {"notes": f"Hoursmarker{uuid4().hex}", "edited": f"Hoursmarker{uuid4().hex}",
               "control": f"Hourscontrol{uuid4().hex}"}
    # The control goes where clear text is expected, so the search can find something.
    actions.create_licence_type(by=cast.ada, name=markers["control"])
    entry = log(60, notes=f"We discussed {markers['edited']}.")
    actions.update_entry(by=cast.sue, entry=entry, supervisor=cast.sam, category=entry.category,
                         day=entry.date, minutes=60, format="video",
                         notes=f"We discussed {markers['notes']}.")

    assert at_rest.found_in(at_rest.every_column_as_text(), markers) == {"control"}
    assert markers["notes"] in Entry.objects.get().notes()


def test_a_sealed_note_moved_to_another_entry_does_not_open(cast, log):
    first = log(60, notes="Fictional first meeting.")
    second = log(30, notes="Fictional second meeting.")
    Entry.objects.filter(pk=second.pk).update(notes_ct=first.notes_ct)
    with pytest.raises(crypto.DecryptionError):
        Entry.objects.get(pk=second.pk).notes()
