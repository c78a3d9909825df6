"""Logging, validating and confirming entries: bad input is a clear error with nothing
saved; a confirmed entry is locked in the model, the database, the pages and the API."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.hours import actions
from psynote.hours.models import Entry, EntryLocked
from psynote.hours.totals import licence_type_of


def _form(cast, **changes):
    category = licence_type_of(cast.sue).categories.get(name="Individual supervision")
    data = {"date": (timezone.localdate() - timedelta(days=1)).isoformat(), "minutes": "60",
            "category": category.pk, "format": "in_person", "supervisor": cast.sam.pk,
            "notes": ""}
    return {**data, **changes}


def test_a_supervisee_logs_an_entry_on_the_page(cast, login):
    response = login(cast.sue).post("/hours/entries/new/", _form(cast, notes="Went well."))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.supervisee, entry.supervisor, entry.minutes) == (cast.sue, cast.sam, 60)
    assert entry.notes() == "Went well."
    assert not entry.is_confirmed


@pytest.mark.parametrize(("changes", "message"), [
    ({"minutes": "0"}, "at least 1 minute"),
    ({"minutes": "-5"}, "at least 1 minute"),
    ({"minutes": "721"}, "at most 720 minutes"),
    ({"minutes": "lots"}, "Enter a whole number"),
    ({"date": "2999-01-01"}, "cannot be in the future"),
    ({"date": "yesterday"}, "Enter a valid date"),
    ({"format": "telepathy"}, "Select a valid choice"),
    ({"supervisor": "999999"}, "Select a valid choice"),
    ({"category": "999999"}, "Select a valid choice"),
])
def test_bad_input_is_a_form_error_and_nothing_is_saved(cast, login, changes, message):
    response = login(cast.sue).post("/hours/entries/new/", _form(cast, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Entry.objects.exists()


def test_direct_contact_is_not_logged_by_hand(cast, login):
    direct = licence_type_of(cast.sue).categories.get(name="Direct client contact")
    response = login(cast.sue).post("/hours/entries/new/", _form(cast, category=direct.pk))
    assert response.status_code == 400
    with pytest.raises(ValidationError, match="counted from your attended sessions"):
        actions.log_entry(by=cast.sue, supervisor=cast.sam, category=direct,
                          day=timezone.localdate(), minutes=60, format="video")
    assert not Entry.objects.exists()


def test_only_ones_own_supervisor_is_named(cast, login):
    category = licence_type_of(cast.sue).categories.get(name="Individual supervision")
    with pytest.raises(ValidationError, match="one of your supervisors"):
        actions.log_entry(by=cast.sue, supervisor=cast.bob, category=category,
                          day=timezone.localdate(), minutes=60, format="video")
    # alice has no supervisor: the page says so, and the API refuses with a sentence.
    page = login(cast.alice).get("/hours/entries/new/")
    assert "no supervisor on record" in page.content.decode()
    answer = login(cast.alice).post(
        "/api/v1/hours/entries", {"date": "2026-01-05", "minutes": 60,
                                  "category_id": category.pk, "supervisor_id": cast.sam.pk},
        content_type="application/json")
    assert answer.status_code == 400
    assert "supervisor" in answer.json()["detail"]
    assert not Entry.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"minutes": 0}, "minutes"), ({"minutes": 721}, "minutes"),
    ({"date": "2999-01-01"}, "date"), ({"format": "fax"}, "format"),
    ({"category_id": 999999}, "category_id"), ({"surprise": 1}, "surprise"),
])
def test_api_validation(cast, login, body, field):
    category = licence_type_of(cast.sue).categories.get(name="Individual supervision")
    payload = {"date": (timezone.localdate() - timedelta(days=1)).isoformat(), "minutes": 60,
               "category_id": category.pk, "supervisor_id": cast.sam.pk, **body}
    answer = login(cast.sue).post("/api/v1/hours/entries", payload,
                                  content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["detail"]
    assert not Entry.objects.exists()


def test_the_api_logs_and_the_supervisor_confirms(cast, login):
    category = licence_type_of(cast.sue).categories.get(name="Group supervision")
    created = login(cast.sue).post(
        "/api/v1/hours/entries",
        {"date": timezone.localdate().isoformat(), "minutes": 90, "category_id": category.pk,
         "supervisor_id": cast.sam.pk, "format": "video", "notes": "Case formulation."},
        content_type="application/json")
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    listed = login(cast.sam).get(f"/api/v1/hours/supervisees/{cast.sue.pk}/entries").json()
    assert [item["notes"] for item in listed["items"]] == ["Case formulation."]
    confirmed = login(cast.sam).post(f"/api/v1/hours/entries/{entry_id}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_by_id"] == cast.sam.pk
    again = login(cast.sam).post(f"/api/v1/hours/entries/{entry_id}/confirm")
    assert again.status_code == 409
    patched = login(cast.sue).patch(f"/api/v1/hours/entries/{entry_id}", {"minutes": 30},
                                    content_type="application/json")
    assert patched.status_code == 409
    assert Entry.objects.get().minutes == 90


def test_a_supervisee_edits_and_deletes_an_unconfirmed_entry(cast, login, log):
    entry = log(60)
    response = login(cast.sue).post(f"/hours/entries/{entry.pk}/edit/", _form(cast, minutes=75))
    assert response.status_code == 302
    assert Entry.objects.get().minutes == 75
    patched = login(cast.sue).patch(f"/api/v1/hours/entries/{entry.pk}", {"minutes": 80},
                                    content_type="application/json")
    assert patched.status_code == 200
    assert patched.json()["minutes"] == 80
    assert login(cast.sue).post(f"/hours/entries/{entry.pk}/delete/").status_code == 302
    assert not Entry.objects.exists()


def test_a_confirmed_entry_is_locked(cast, login, log):
    entry = log(60)
    login(cast.sam).post(f"/hours/entries/{entry.pk}/confirm/")
    entry = Entry.objects.get()
    assert entry.confirmed_by == cast.sam

    edit = login(cast.sue).post(f"/hours/entries/{entry.pk}/edit/", _form(cast, minutes=5))
    assert edit.status_code == 400
    assert "can no longer change" in edit.content.decode()
    login(cast.sue).post(f"/hours/entries/{entry.pk}/delete/")
    with pytest.raises(EntryLocked):
        entry.minutes = 5
        entry.save()
    with pytest.raises(EntryLocked):
        Entry.objects.get().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(minutes=5)
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get().minutes == 60


def test_only_the_supervisees_supervisor_confirms(cast, login, log):
    entry = log(60)
    other = t.make_user(cast.practice, "otto", "supervisor")
    for who in (cast.sue, cast.alice, cast.bob, other, cast.ada, cast.fred, cast.pria):
        assert login(who).post(f"/hours/entries/{entry.pk}/confirm/").status_code == 404
        assert login(who).post(f"/api/v1/hours/entries/{entry.pk}/confirm").status_code == 404
    with pytest.raises(ValidationError):
        actions.confirm_entry(by=other, entry=entry)
    assert not Entry.objects.get().is_confirmed


def test_the_supervisor_cannot_edit_and_others_cannot_read(cast, login, log):
    entry = log(60, notes="Fictional supervision talk.")
    assert login(cast.sam).post(f"/hours/entries/{entry.pk}/edit/", _form(cast)).status_code == 404
    assert login(cast.sam).get(f"/hours/supervisees/{cast.sue.pk}/").status_code == 200
    assert AuditEvent.objects.filter(payload__contains='"hours.view"').count() == 1
    for who in (cast.alice, cast.bob, cast.ada, cast.fred, cast.pria):
        assert login(who).get(f"/hours/supervisees/{cast.sue.pk}/").status_code == 404
        assert login(who).get(f"/api/v1/hours/supervisees/{cast.sue.pk}/entries"
                              ).status_code == 404


def test_audit_events_carry_no_meeting_notes(cast, log):
    marker = "Zebrafinch" + "Quokka"
    entry = log(60, notes=f"Talked about {marker}.")
    actions.confirm_entry(by=cast.sam, entry=entry)
    events = AuditEvent.objects.filter(payload__contains='"hours.')
    actions_seen = {e.payload.split('"action":"')[1].split('"')[0] for e in events}
    assert {"hours.entry_create", "hours.entry_confirm"} <= actions_seen
    assert not any(marker in e.payload for e in AuditEvent.objects.all())
