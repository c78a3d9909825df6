"""The demo's second practice: written through the actions, on time, behind the wall."""

from datetime import timedelta

from psynote import demo
from psynote.accounts.models import User
from psynote.audit.chain import verify_practice
from psynote.clients.models import Client
from psynote.notes.models import ProgressNote


def test_the_second_practice_loads_beside_another_and_sees_only_its_own(cast, client):
    summary = demo.load_second()

    practice = summary.practice
    assert practice.name == demo.SECOND_PRACTICE_NAME
    assert User.objects.filter(practice=practice).count() == len(demo.SECOND_STAFF)
    assert Client.objects.filter(practice=practice).count() == len(demo.SECOND_CLIENTS)
    notes = ProgressNote.objects.filter(client__practice=practice).select_related("session")
    assert summary.signed_notes == notes.signed().count() >= 3 * len(demo.SECOND_CLIENTS)
    for note in notes:  # signed on time under the demo clock: no late entry
        assert not note.late_entry
        assert timedelta(0) < note.signed_at - note.session.ended_at < timedelta(hours=72)
    assert verify_practice(practice.pk).breaks == []
    assert verify_practice(cast.practice.pk).breaks == []

    client.force_login(User.objects.get(username="juniper-clinician"))
    page = client.get("/clients/").content.decode()
    assert "Fictionwood" in page and "Makebelieve" in page
    assert str(cast.client.pk) not in page and "Avery" not in page
