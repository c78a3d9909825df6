"""Fixtures for the exchange tests: alice's client with a signed progress note, a draft,
a psychotherapy note holding a marker word, and authorizations to build on."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.exchange import actions
from psynote.notes import actions as note_actions

PN_MARKER = "Zanzibarquokka"  # appears only in alice's psychotherapy note
NOTE_MARKER = "Tangerinefalcon"  # appears in the signed progress note


def authorize(by, client, scope, **fields):
    fields.setdefault("recipient_name", "Dr Fictional Receiver")
    fields.setdefault("recipient_organisation", "Imaginary Psychiatry Clinic")
    fields.setdefault("purpose", "Continuity of care")
    fields.setdefault("expires_on", timezone.localdate() + timedelta(days=365))
    fields.setdefault("signed_on_screen_name", "Avery Fictional")
    return actions.create_authorization(by=by, client=client, scope=scope, **fields)


@pytest.fixture
def record(cast):
    alice, client = cast.alice, cast.client
    session = t.make_session(client, alice, day=date(2025, 3, 4))
    sections = {**t.SOAP, "subjective": f"Client mentions {NOTE_MARKER} at work."}
    note = t.make_note(session, sections=sections)
    note = note_actions.sign_note(by=alice, note=note, late_reason="Fictional late entry.")
    note_actions.add_addendum(by=alice, note=note, body="Fictional later information.")
    later = t.make_session(client, alice, day=date(2025, 6, 10))
    t.make_note(later)  # a draft: never disclosed
    t.open_psychotherapy_notes(alice)
    pnote = note_actions.write_psychotherapy_note(
        by=alice, client=client, session=session, body=f"Process note: transference, {PN_MARKER}."
    )
    return SimpleNamespace(
        cast=cast, alice=alice, client=client, note=note, session=session, pnote=pnote
    )
