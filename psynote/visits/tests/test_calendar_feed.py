"""The clinician's iCalendar feed: behind a secret URL they can reset or turn off, and
carrying no client names and no clinical content."""

import re
from datetime import time, timedelta

from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.lib import ical
from psynote.visits import calendar_actions, cpt
from psynote.visits.models import CalendarFeed, Session

MARKER = "Zyxwvmarker"


def _feed_path(page: str) -> str:
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    return url.split("testserver", 1)[1]


def test_the_feed_carries_times_and_nothing_about_the_client(cast, login):
    client = t.make_client(cast.alice, first_name=MARKER, last_name=MARKER + "son",
                           preferred_name=MARKER)
    session = t.make_session(client, cast.alice, day=timezone.localdate() - timedelta(days=1))
    t.make_note(session, sections={"subjective": MARKER, "objective": MARKER,
                                   "assessment": MARKER, "plan": MARKER}, sign=True)
    calendar_actions.book_appointments(
        by=cast.alice, client=client, clinician=cast.alice,
        first=timezone.localdate() + timedelta(days=1), start_time=time(9, 0),
        end_time=time(9, 50), repeat="weekly", count=3, service=cpt.CRISIS)
    browser = login(cast.alice)
    page = browser.post(reverse("calendar_feed_manage"), {"action": "reset"}).content.decode()
    path = _feed_path(page)
    browser.logout()  # the phone has no session
    response = browser.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.count("BEGIN:VEVENT") == 4
    assert body.count("SUMMARY:Session · 50 min") == 4
    assert str(client.pk) not in body
    # UIDs are random hex, which may hold "f41" or "9083" by chance: look past them.
    text = "\n".join(line for line in body.split("\r\n") if not line.startswith("UID:"))
    for secret in (MARKER, "crisis", "F41", "9083", "9084"):
        assert secret.lower() not in text.lower()
    assert "\r\n" in body and all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_resetting_the_secret_ends_the_old_url_and_only_its_hash_is_kept(cast, login):
    browser = login(cast.alice)
    old = _feed_path(browser.post(reverse("calendar_feed_manage"),
                                  {"action": "reset"}).content.decode())
    new = _feed_path(browser.post(reverse("calendar_feed_manage"),
                                  {"action": "reset"}).content.decode())
    assert old != new
    secret = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert secret not in CalendarFeed.objects.get(clinician=cast.alice).token_hash
    assert browser.get(old).status_code == 404
    assert browser.get(new).status_code == 200
    browser.post(reverse("calendar_feed_manage"), {"action": "off"})
    assert browser.get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_a_feed_shows_only_its_clinicians_sessions_and_not_cancelled_ones(cast, login):
    t.make_session(cast.other_client, cast.bob, attendance=Session.Attendance.SCHEDULED)
    t.make_session(cast.client, cast.alice, attendance=Session.Attendance.CANCELLED)
    t.make_session(cast.client, cast.alice, start=time(15, 0), minutes=45,
                   attendance=Session.Attendance.SCHEDULED)
    secret = calendar_actions.reset_feed(by=cast.alice)
    body = login(cast.alice).get(reverse("calendar_feed", args=[secret])).content.decode()
    assert body.count("BEGIN:VEVENT") == 1 and "Session · 45 min" in body


def test_unknown_or_malformed_secrets_and_inactive_clinicians_get_404(cast, client):
    secret = calendar_actions.reset_feed(by=cast.alice)
    for wrong in ("cal_nope", "x" * 300, secret[:-1]):
        assert client.get(reverse("calendar_feed", args=[wrong])).status_code == 404
    cast.alice.is_active = False
    cast.alice.save()
    assert client.get(reverse("calendar_feed", args=[secret])).status_code == 404


def test_only_clinicians_have_a_feed(cast, login):
    assert login(cast.fred).get(reverse("calendar_feed_manage")).status_code == 404


def test_long_lines_fold_and_text_is_escaped():
    now = ical.now()
    event = ical.Event(uid="u" * 200, start=now, end=now, summary="a, b; c\\d\ne" * 10,
                       stamp=now)
    body = ical.calendar("Cal", [event])
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:" + "a\\, b\\; c\\\\d\\ne" * 10 in unfolded
    assert "UID:" + "u" * 200 in unfolded
