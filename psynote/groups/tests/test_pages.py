"""The group pages: create a group, record a session, write and sign its note; bad input
shows its error on the page, with nothing written."""

from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.groups.models import Group, GroupSession
from psynote.groups.tests.conftest import MARKERS, SHARED
from psynote.notes.models import ProgressNote


def test_a_group_is_created_run_and_signed_through_the_pages(cast, login):
    browser = login(cast.alice)
    ada = t.make_client(cast.alice, first_name="Adaline", last_name="Quill")
    ben = t.make_client(cast.alice, first_name="Benedict", last_name="Rook")
    answer = browser.post(reverse("group_list"), {"name": "Skills",
                                                  "members": [str(ada.pk), str(ben.pk)]})
    group = Group.objects.get()
    assert answer.status_code == 302
    answer = browser.post(reverse("group_detail", args=[group.pk]), {
        "date": timezone.localdate().isoformat(), "start_time": "09:00", "end_time": "10:00",
        "modality": "in_person"})
    gs = GroupSession.objects.get()
    assert answer.status_code == 302
    url = reverse("group_session", args=[gs.pk])
    page = browser.get(url).content.decode()
    assert "Adaline Quill" in page and "Benedict Rook" in page
    answer = browser.post(url, {
        "shared": SHARED, "plan": "Next week.", "sign": "1",
        f"m-{ada.pk}-attendance": "attended", f"m-{ada.pk}-individual": MARKERS["ada"],
        f"m-{ben.pk}-attendance": "no_show", f"m-{ben.pk}-individual": ""})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    note = ProgressNote.objects.get()
    assert note.client == ada and note.is_signed
    page = browser.get(url).content.decode()
    assert reverse("note_detail", args=[note.pk]) in page


def test_bad_input_on_the_pages_shows_the_error_and_writes_nothing(cast, login):
    browser = login(cast.alice)
    answer = browser.post(reverse("group_list"), {"name": "Empty"})
    assert answer.status_code == 400 and "roster is empty" in answer.content.decode()
    answer = browser.post(reverse("group_list"), {"name": "Not mine",
                                                  "members": [str(cast.other_client.pk)]})
    assert answer.status_code == 400 and "not a client on your caseload" in answer.content.decode()
    assert not Group.objects.exists()
    browser.post(reverse("group_list"), {"name": "G", "members": [str(cast.client.pk)]})
    group = Group.objects.get()
    answer = browser.post(reverse("group_detail", args=[group.pk]), {"date": "", "start_time": ""})
    assert answer.status_code == 400 and "give the session" in answer.content.decode()
    answer = browser.post(reverse("group_detail", args=[group.pk]), {
        "date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"})
    gs = GroupSession.objects.get()
    answer = browser.post(reverse("group_session", args=[gs.pk]), {
        "shared": "Shared", f"m-{cast.client.pk}-attendance": "no_show",
        f"m-{cast.client.pk}-individual": "Text for a no-show"})
    assert answer.status_code == 400 and "did not attend" in answer.content.decode()


def test_people_other_than_the_facilitators_do_not_see_a_group(cast, login):
    login(cast.alice).post(reverse("group_list"), {"name": "G",
                                                   "members": [str(cast.client.pk)]})
    group = Group.objects.get()
    for user in (cast.bob, cast.ada, cast.fred, cast.pria):
        assert login(user).get(reverse("group_detail", args=[group.pk])).status_code == 404
