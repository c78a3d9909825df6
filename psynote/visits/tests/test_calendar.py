"""The calendar pages: booking one appointment or a series, rescheduling one occurrence,
cancelling with a reason, no-shows, double-booking warnings, and bad input refused with
nothing written."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.visits import calendar_actions
from psynote.visits.models import Session

Attendance = Session.Attendance


def _book(browser, client, **changes):
    day = timezone.localdate() + timedelta(days=1)
    data = {"date": day.isoformat(), "start_time": "10:00", "end_time": "10:50",
            "service": "psychotherapy", "modality": "in_person", "place": "office",
            "repeat": "none", "count": "", "until": ""} | changes
    return browser.post(reverse("appointment_new", args=[client.pk]), data)


def test_a_clinician_books_a_weekly_series_linked_by_one_id(cast, login):
    browser = login(cast.alice)
    response = _book(browser, cast.client, repeat="weekly", count="6")
    assert response.status_code == 302
    sessions = list(Session.objects.filter(client=cast.client).order_by("date"))
    assert len(sessions) == 6
    assert {s.attendance for s in sessions} == {Attendance.SCHEDULED}
    assert {s.clinician_id for s in sessions} == {cast.alice.pk}
    assert len({s.series_id for s in sessions}) == 1 and sessions[0].series_id is not None
    assert [(b.date - a.date).days for a, b in zip(sessions, sessions[1:], strict=False)] \
        == [7] * 5
    assert AuditEvent.objects.filter(action="session.series_book").count() == 1


def test_every_other_week_until_a_date(cast, login):
    first = timezone.localdate() + timedelta(days=1)
    response = _book(login(cast.alice), cast.client, repeat="fortnightly",
                     until=(first + timedelta(weeks=8)).isoformat())
    assert response.status_code == 302
    days = list(Session.objects.filter(client=cast.client).order_by("date")
                .values_list("date", flat=True))
    assert days == [first + timedelta(weeks=2 * n) for n in range(5)]


def test_one_appointment_has_no_series(cast, login):
    assert _book(login(cast.alice), cast.client).status_code == 302
    assert Session.objects.get(client=cast.client).series_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "09:00"}, "stop time must be after"),
        ({"end_time": "10:00"}, "stop time must be after"),
        ({"repeat": "weekly", "count": "0"}, "greater than or equal to 1"),
        ({"repeat": "weekly", "count": "10000"}, "less than or equal to 104"),
        ({"repeat": "weekly"}, "either the number of sessions or the last date"),
        ({"repeat": "weekly", "count": "3", "until": "2099-01-01"}, "one of the two"),
        ({"date": "2001-01-01"}, "booked from today"),
        ({"date": "2999-01-01"}, "two years ahead"),
        ({"repeat": "weekly", "until": "2001-01-01"}, "cannot end before"),
        ({"repeat": "weekly", "count": "104",
          "date": (timezone.localdate() + timedelta(days=400)).isoformat()}, "two years ahead"),
        ({"date": "not a date"}, "Enter a valid date"),
        ({"modality": "in_person", "place": "client_home"}, "for telehealth"),
    ],
)
def test_bad_bookings_are_refused_with_a_reason_and_nothing_written(cast, login, changes,
                                                                     message):
    response = _book(login(cast.alice), cast.client, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Session.objects.filter(client=cast.client).exists()


def test_front_desk_books_for_a_care_team_clinician_only(cast, login):
    browser = login(cast.fred)
    response = _book(browser, cast.client, clinician=str(cast.bob.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Session.objects.filter(client=cast.client).exists()
    assert _book(browser, cast.client, clinician=str(cast.alice.pk)).status_code == 302
    assert Session.objects.get(client=cast.client).clinician == cast.alice


def test_double_booking_warns_and_books_only_when_confirmed(cast, login):
    day = timezone.localdate() + timedelta(days=1)
    t.make_session(cast.client, cast.alice, day=day, start=time(10, 30),
                   attendance=Attendance.SCHEDULED)
    browser = login(cast.alice)
    response = _book(browser, cast.client, repeat="weekly", count="3")
    assert response.status_code == 400
    page = response.content.decode()
    assert "already has 1 session at that time" in page and "Book anyway" in page
    assert Session.objects.filter(client=cast.client).count() == 1
    response = _book(browser, cast.client, repeat="weekly", count="3",
                     allow_double_booking="on")
    assert response.status_code == 302
    assert Session.objects.filter(client=cast.client).count() == 4


def test_a_cancelled_slot_is_free_again(cast, login):
    day = timezone.localdate() + timedelta(days=1)
    t.make_session(cast.client, cast.alice, day=day, attendance=Attendance.CANCELLED)
    assert _book(login(cast.alice), cast.client).status_code == 302


def _series(cast, count=4):
    return calendar_actions.book_appointments(
        by=cast.alice, client=cast.client, clinician=cast.alice,
        first=timezone.localdate() + timedelta(days=1), start_time=time(9, 0),
        end_time=time(9, 50), repeat="weekly", count=count)


def test_rescheduling_moves_one_occurrence_only(cast, login):
    series = _series(cast)
    moved = series[1]
    new_day = moved.date + timedelta(days=2)
    response = login(cast.alice).post(reverse("session_reschedule", args=[moved.pk]), {
        "date": new_day.isoformat(), "start_time": "14:00", "end_time": "14:50"})
    assert response.status_code == 302
    moved.refresh_from_db()
    assert (moved.date, moved.start_time) == (new_day, time(14, 0))
    assert moved.series_id == series[0].series_id
    for other in (series[0], series[2], series[3]):
        before = other.date
        other.refresh_from_db()
        assert (other.date, other.start_time) == (before, time(9, 0))
    assert AuditEvent.objects.filter(action="session.reschedule", target_id=str(moved.pk)).exists()


def test_rescheduling_onto_another_session_warns(cast, login):
    series = _series(cast)
    response = login(cast.alice).post(reverse("session_reschedule", args=[series[1].pk]), {
        "date": series[2].date.isoformat(), "start_time": "09:30", "end_time": "10:20"})
    assert response.status_code == 400
    assert "already has 1 session" in response.content.decode()
    series[1].refresh_from_db()
    assert series[1].start_time == time(9, 0)


def test_cancel_with_a_reason_and_late_cancel(cast, login):
    series = _series(cast)
    browser = login(cast.fred)
    response = browser.post(reverse("session_cancel", args=[series[0].pk]),
                            {"reason": "client"})
    assert response.status_code == 302
    response = browser.post(reverse("session_cancel", args=[series[1].pk]),
                            {"reason": "clinician", "late": "on"})
    assert response.status_code == 302
    first, second = (Session.objects.get(pk=s.pk) for s in series[:2])
    assert (first.attendance, first.cancel_reason) == (Attendance.CANCELLED, "client")
    assert (second.attendance, second.cancel_reason) == (Attendance.LATE_CANCELLED, "clinician")
    # Without a reason, or twice: refused, nothing changes.
    assert browser.post(reverse("session_cancel", args=[series[2].pk]), {}).status_code == 400
    again = browser.post(reverse("session_cancel", args=[series[0].pk]), {"reason": "client"})
    assert again.status_code == 400 and "Only a scheduled session" in again.content.decode()
    assert Session.objects.get(pk=series[2].pk).attendance == Attendance.SCHEDULED


def test_no_show_only_once_the_day_has_come(cast, login):
    today = t.make_session(cast.client, cast.alice, attendance=Attendance.SCHEDULED)
    future = _series(cast, count=1)[0]
    browser = login(cast.alice)
    browser.post(reverse("session_no_show", args=[today.pk]))
    response = browser.post(reverse("session_no_show", args=[future.pk]), follow=True)
    assert "has not happened yet" in response.content.decode()
    assert Session.objects.get(pk=today.pk).attendance == Attendance.NO_SHOW
    assert Session.objects.get(pk=future.pk).attendance == Attendance.SCHEDULED


def test_a_colleague_cannot_move_or_cancel_a_clinicians_session(cast, login):
    session = _series(cast, count=1)[0]
    browser = login(cast.bob)
    for name in ("session_reschedule", "session_cancel", "session_no_show"):
        assert browser.post(reverse(name, args=[session.pk]), {}).status_code == 404
    assert Session.objects.get(pk=session.pk).attendance == Attendance.SCHEDULED


def test_week_view_shows_own_sessions_and_front_desk_sees_everyones(cast, login):
    day = timezone.localdate()
    t.make_session(cast.client, cast.alice, day=day, attendance=Attendance.SCHEDULED)
    t.make_session(cast.other_client, cast.bob, day=day, attendance=Attendance.SCHEDULED)
    url = reverse("calendar_week") + f"?date={day.isoformat()}"
    alices = login(cast.alice).get(url).content.decode()
    assert "Avery" in alices and "Blake" not in alices
    desk = login(cast.fred).get(url).content.decode()
    assert "Avery" in desk and "Blake" in desk
    only_bob = login(cast.fred).get(url + f"&clinician={cast.bob.pk}").content.decode()
    assert "Blake" in only_bob and "Avery" not in only_bob
    day_view = login(cast.alice).get(reverse("calendar_day") + f"?date={day.isoformat()}")
    assert "Avery" in day_view.content.decode()


@pytest.mark.parametrize("query", ["date=2026-13-45", "date=1900-01-01", "clinician=99999",
                                   "clinician=abc"])
def test_bad_calendar_queries_are_clear_errors(cast, login, query):
    response = login(cast.fred).get(reverse("calendar_week") + "?" + query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_roles_without_a_schedule_have_no_calendar(cast, login):
    for who in (cast.ada, cast.pria):
        assert login(who).get(reverse("calendar_week")).status_code == 404


def test_the_week_view_runs_a_bounded_number_of_queries(cast, login,
                                                        django_assert_max_num_queries):
    first = timezone.localdate() + timedelta(days=1)
    clients = [t.make_client(cast.alice, first_name=f"Many{n}", diagnosis=None)
               for n in range(8)]
    for n, client in enumerate(clients):
        calendar_actions.book_appointments(
            by=cast.alice, client=client, clinician=cast.alice, first=first,
            start_time=time(8 + n, 0), end_time=time(8 + n, 50), repeat="weekly", count=2)
    url = reverse("calendar_week") + f"?date={first.isoformat()}"
    for who in (cast.alice, cast.fred):
        browser = login(who)
        browser.get(url)  # warm the session
        with django_assert_max_num_queries(10):
            page = browser.get(url).content.decode()
        assert page.count("data-session=") >= 8
