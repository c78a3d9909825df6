"""Participants of a couples or family session (ADR 0014): recorded on the session's page by
its clinician, read by the care team, shown on the signed note by role only."""

from django.urls import reverse

from psynote import testing as t
from psynote.visits.models import SessionParticipant


def test_the_clinician_records_participants_and_the_note_shows_their_roles(cast, login):
    browser = login(cast.alice)
    session = t.make_session(cast.client, cast.alice, service="family_without_client")
    url = reverse("session_participants", args=[session.pk])
    answer = browser.post(url, {"role": "parent", "name": "Fictional Parentname"})
    assert answer.status_code == 302
    assert "Fictional Parentname" in browser.get(url).content.decode()
    answer = browser.post(url, {"role": "parent", "name": ""})
    assert answer.status_code == 400 and "give the participant" in answer.content.decode()
    note = t.make_note(session, sign=True)
    page = browser.get(reverse("note_detail", args=[note.pk])).content.decode()
    assert "with: Parent" in page and "Fictional Parentname" not in page
    answer = browser.post(url, {"role": "child", "name": "Late Addition"})
    assert answer.status_code == 400 and "signed" in answer.content.decode()
    assert SessionParticipant.objects.count() == 1


def test_front_desk_and_other_clinicians_do_not_see_participants(cast, login):
    session = t.make_session(cast.client, cast.alice, service="family_with_client")
    url = reverse("session_participants", args=[session.pk])
    for user in (cast.fred, cast.bob, cast.ada):
        assert login(user).get(url).status_code == 404
