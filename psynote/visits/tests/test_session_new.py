from datetime import timedelta

from django.utils import timezone

from psynote.audit.models import AuditEvent
from psynote.visits.models import Session


def _url(client):
    return f"/clients/{client.pk}/sessions/new/"


def _good(**changes):
    today = timezone.localdate().isoformat()
    return {
        "date": today,
        "start_time": "10:00",
        "end_time": "10:50",
        "service": "psychotherapy",
        "modality": "in_person",
        "place": "office",
        "attendance": "attended",
    } | changes


def test_clinician_records_their_own_attended_session_and_lands_on_it(cast, login):
    before = Session.objects.count()
    response = login(cast.alice).post(_url(cast.client), _good())
    session = Session.objects.get(client=cast.client)
    assert Session.objects.count() == before + 1
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.clinician == cast.alice and session.minutes == 50
    assert AuditEvent.objects.filter(action="session.create", target_id=str(session.pk)).exists()
    page = login(cast.alice).get(response["Location"]).content.decode()
    assert "Write progress note" in page and 'name="template"' in page


def test_session_form_uses_date_and_time_inputs(cast, login):
    page = login(cast.alice).get(_url(cast.client)).content.decode()
    assert 'placeholder="YYYY-MM-DD"' in page and 'type="time"' in page
    assert 'name="clinician"' not in page


def test_front_desk_schedules_for_a_care_team_clinician(cast, login):
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    page = login(cast.fred).get(_url(cast.client)).content.decode()
    assert 'name="clinician"' in page and cast.bob.signature_name not in page
    assert f'<option value="{cast.alice.pk}" selected>' in page  # the primary clinician
    response = login(cast.fred).post(
        _url(cast.client),
        _good(date=day, attendance="scheduled", end_time="", clinician=cast.alice.pk),
    )
    assert response.status_code == 302
    session = Session.objects.get(client=cast.client)
    assert session.clinician == cast.alice and session.attendance == "scheduled"


def test_front_desk_cannot_pick_a_clinician_outside_the_care_team(cast, login):
    response = login(cast.fred).post(_url(cast.client), _good(clinician=cast.bob.pk))
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_stop_before_start_is_refused_next_to_the_field(cast, login):
    response = login(cast.alice).post(_url(cast.client), _good(end_time="09:00"))
    assert response.status_code == 400
    assert "end_time" in response.context["form"].errors
    assert not Session.objects.exists()


def test_attended_session_in_the_future_is_refused(cast, login):
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = login(cast.alice).post(_url(cast.client), _good(date=day))
    assert response.status_code == 400
    assert "attendance" in response.context["form"].errors
    assert not Session.objects.exists()


def test_attended_session_needs_a_stop_time(cast, login):
    response = login(cast.alice).post(_url(cast.client), _good(end_time=""))
    assert response.status_code == 400 and not Session.objects.exists()


def test_garbage_input_is_a_400_not_a_500(cast, login):
    response = login(cast.alice).post(
        _url(cast.client),
        {
            "date": "yesterday",
            "start_time": "25:99",
            "service": "surgery",
            "modality": "carrier pigeon",
            "place": "moon",
            "attendance": "maybe",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"date", "start_time", "service", "modality", "place", "attendance"} <= set(errors)
    assert not Session.objects.exists()


def test_in_person_session_at_the_clients_home_is_refused(cast, login):
    response = login(cast.alice).post(_url(cast.client), _good(place="client_home"))
    assert response.status_code == 400 and "place" in response.context["form"].errors


def test_who_may_not_record_sessions_gets_a_404(cast, login):
    assert login(cast.bob).get(_url(cast.client)).status_code == 404
    assert login(cast.bob).post(_url(cast.client), _good()).status_code == 404
    assert login(cast.ada).get(_url(cast.client)).status_code == 404
    assert login(cast.pria).get(_url(cast.client)).status_code == 404
    # A supervisor reads supervisees' charts but does not record their sessions.
    assert login(cast.sam).get(_url(cast.supervisee_client)).status_code == 404
    assert not Session.objects.exists()
