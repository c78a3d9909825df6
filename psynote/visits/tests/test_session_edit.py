from datetime import timedelta

from django.utils import timezone

from psynote import testing as t
from psynote.visits.models import Session


def _data(session, **changes):
    return {
        "date": session.date.isoformat(),
        "start_time": "10:00",
        "end_time": "10:50",
        "service": session.service,
        "modality": session.modality,
        "place": session.place,
        "attendance": session.attendance,
    } | changes


def test_clinician_corrects_the_stop_time(cast, login):
    session = t.make_session(cast.client, cast.alice)
    response = login(cast.alice).post(
        f"/sessions/{session.pk}/edit/", _data(session, end_time="11:00")
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.minutes == 60


def test_front_desk_marks_a_scheduled_session_as_no_show(cast, login):
    day = timezone.localdate() - timedelta(days=1)
    session = t.make_session(cast.client, cast.alice, day=day, attendance="scheduled")
    url = f"/sessions/{session.pk}/edit/"
    assert login(cast.fred).get(url).status_code == 200
    assert login(cast.fred).post(url, _data(session, attendance="no_show")).status_code == 302
    session.refresh_from_db()
    assert session.attendance == "no_show"


def test_edit_of_a_session_with_a_signed_note_is_refused_with_the_reason(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True)
    url = f"/sessions/{session.pk}/edit/"
    assert "progress note is signed" in login(cast.alice).get(url).content.decode()
    response = login(cast.alice).post(url, _data(session, end_time="11:30"))
    assert response.status_code == 400
    assert "add an addendum" in response.content.decode()
    session.refresh_from_db()
    assert session.minutes == 50


def test_bad_edit_changes_nothing(cast, login):
    session = t.make_session(cast.client, cast.alice)
    response = login(cast.alice).post(
        f"/sessions/{session.pk}/edit/", _data(session, end_time="09:00")
    )
    assert response.status_code == 400
    assert Session.objects.get(pk=session.pk).minutes == 50


def test_only_the_sessions_clinician_or_front_desk_edits_it(cast, login):
    session = t.make_session(cast.client, cast.alice)
    url = f"/sessions/{session.pk}/edit/"
    for user in (cast.bob, cast.sam, cast.ada, cast.pria):
        assert login(user).get(url).status_code == 404
    supervisee_session = t.make_session(cast.supervisee_client, cast.sue)
    assert login(cast.sam).get(f"/sessions/{supervisee_session.pk}/edit/").status_code == 404


def test_colleague_on_the_care_team_does_not_edit_anothers_session(cast, login):
    from psynote.clients import actions

    actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    session = t.make_session(cast.client, cast.alice)
    assert login(cast.bob).get(f"/sessions/{session.pk}/edit/").status_code == 404
