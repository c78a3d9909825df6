from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from psynote import cli
from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client
from psynote.lib.crypto import DecryptionError
from psynote.notes import actions as note_actions
from psynote.notes.integrity import destroyed_records, signed_records_problems
from psynote.notes.models import ProgressNote, PsychotherapyNote
from psynote.records import retention_actions
from psynote.records.models import Destruction, LegalHold, RetentionPolicy
from psynote.records.retention import retention_due
from psynote.records.tests.conftest import signed_note_on


def _destroy(cast, client) -> Destruction:
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    return retention_actions.confirm_destruction(by=cast.ada, destruction=destruction)


def test_retention_due_lists_clients_past_their_date(cast, old_client):
    client, _ = old_client
    due = retention_due(cast.practice, timezone.localdate())
    assert [d.client.pk for d in due] == [client.pk]
    assert due[0].last_service == date(2017, 6, 1)
    assert due[0].destroy_after == date(2024, 6, 1)


def test_last_service_on_the_boundary_day(cast, old_client):
    client, _ = old_client
    assert not retention_due(cast.practice, date(2024, 5, 31))
    assert [d.client.pk for d in retention_due(cast.practice, date(2024, 6, 1))] == [client.pk]


def test_a_minor_is_kept_until_three_years_after_majority(cast):
    child = t.make_client(
        cast.alice, first_name="Kid", last_name="Fictional", date_of_birth=date(2008, 2, 29)
    )
    signed_note_on(child, cast.alice, date(2015, 1, 5))
    assert not retention_due(cast.practice, date(2029, 2, 28))
    assert [d.client.pk for d in retention_due(cast.practice, date(2029, 3, 1))] == [child.pk]


def test_practice_policy_changes_the_period(cast, old_client):
    RetentionPolicy.objects.create(practice=cast.practice, years_after_last_service=10)
    assert not retention_due(cast.practice, date(2027, 5, 31))
    assert retention_due(cast.practice, date(2027, 6, 1))


def test_destruction_needs_a_privacy_officer_and_an_admin(cast, old_client):
    client, _ = old_client
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    with pytest.raises(ValidationError, match="second person"):
        retention_actions.confirm_destruction(by=cast.pria, destruction=destruction)
    for outsider in (cast.alice, cast.fred):
        with pytest.raises(ValidationError):
            retention_actions.confirm_destruction(by=outsider, destruction=destruction)
    second_pria = t.make_user(cast.practice, "pria2", "privacy")
    with pytest.raises(ValidationError, match="privacy officer and a practice admin"):
        retention_actions.confirm_destruction(by=second_pria, destruction=destruction)
    assert not Client.objects.get(pk=client.pk).is_destroyed
    retention_actions.confirm_destruction(by=cast.ada, destruction=destruction)
    assert Client.objects.get(pk=client.pk).is_destroyed


def test_admin_may_request_and_privacy_officer_confirm(cast, old_client):
    client, _ = old_client
    destruction = retention_actions.request_destruction(by=cast.ada, client=client)
    retention_actions.confirm_destruction(by=cast.pria, destruction=destruction)
    assert Client.objects.get(pk=client.pk).is_destroyed


def test_database_refuses_one_person_in_both_roles(cast, old_client):
    client, _ = old_client
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    with pytest.raises(IntegrityError):
        Destruction.objects.filter(pk=destruction.pk).update(
            confirmed_by=cast.pria, confirmed_at=timezone.now()
        )


def test_a_record_not_yet_due_is_not_destroyed(cast):
    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    with pytest.raises(ValidationError, match="not due yet"):
        retention_actions.request_destruction(by=cast.pria, client=cast.client)


def test_legal_hold_blocks_destruction_until_released(cast, old_client):
    client, _ = old_client
    destruction = retention_actions.request_destruction(by=cast.pria, client=client)
    hold = retention_actions.place_hold(by=cast.pria, client=client, reason="Subpoena anticipated.")
    with pytest.raises(ValidationError, match="legal hold"):
        retention_actions.confirm_destruction(by=cast.ada, destruction=destruction)
    with pytest.raises(ValidationError, match="legal hold"):
        retention_actions.request_destruction(by=cast.ada, client=client)
    assert retention_due(cast.practice, timezone.localdate())[0].on_hold
    retention_actions.release_hold(by=cast.ada, hold=hold)
    retention_actions.confirm_destruction(by=cast.ada, destruction=destruction)
    held = AuditEvent.objects.filter(target_type="legal_hold", target_id=str(hold.pk))
    assert sorted(held.values_list("action", flat=True)) == [
        "legal_hold.place",
        "legal_hold.release",
    ]


def test_only_record_keepers_place_holds(cast, old_client):
    client, _ = old_client
    with pytest.raises(ValidationError):
        retention_actions.place_hold(by=cast.alice, client=client, reason="Mine.")
    hold = retention_actions.place_hold(by=cast.ada, client=client, reason="Investigation.")
    with pytest.raises(ValidationError):
        retention_actions.release_hold(by=cast.alice, hold=hold)
    retention_actions.release_hold(by=cast.pria, hold=hold)
    with pytest.raises(ValidationError, match="already"):
        retention_actions.release_hold(by=cast.pria, hold=hold)
    assert LegalHold.objects.get(pk=hold.pk).released_by == cast.pria


def test_destruction_shreds_the_key_and_keeps_a_tombstone(cast, old_client):
    client, note = old_client
    draft = note_actions.start_note(
        by=cast.alice,
        template="soap",
        session=t.make_session(client, cast.alice, day=date(2017, 5, 1)),
    )
    t.open_psychotherapy_notes(cast.alice)
    note_actions.write_psychotherapy_note(by=cast.alice, client=client, body="Process.")
    destruction = _destroy(cast, client)
    client = Client.objects.get(pk=client.pk)
    with pytest.raises(DecryptionError):
        client.data_key()
    with pytest.raises(DecryptionError):
        ProgressNote.objects.get(pk=note.pk).content()
    assert not ProgressNote.objects.filter(pk=draft.pk).exists()
    assert not PsychotherapyNote.objects.filter(client=client).exists()
    assert destruction.counts == {
        "signed_progress_notes": 1,
        "addenda": 0,
        "drafts_deleted": 1,
        "psychotherapy_notes_deleted": 1,
        "sessions": 2,
    }
    assert (destruction.requested_by, destruction.confirmed_by) == (cast.pria, cast.ada)
    assert client.email == "" and client.first_name == "Olden"
    client.save()  # a later save must not give the record a fresh key
    assert Client.objects.get(pk=client.pk).is_destroyed
    assert retention_due(cast.practice, timezone.localdate()) == []
    actions_logged = AuditEvent.objects.filter(target_type="destruction").values_list(
        "action", flat=True
    )
    assert sorted(actions_logged) == ["destruction.confirm", "destruction.request"]


def test_a_destroyed_record_is_not_reported_as_tampering(cast, old_client):
    client, _ = old_client
    destruction = _destroy(cast, client)
    assert list(signed_records_problems(cast.practice.pk)) == []
    assert destroyed_records(cast.practice.pk) == [
        f"client {client.pk}: destroyed on {destruction.confirmed_at:%Y-%m-%d} under retention, "
        f"tombstone #{destruction.pk}"
    ]


def test_a_key_shredded_without_a_tombstone_is_reported(cast, old_client):
    client, _ = old_client
    Client.objects.filter(pk=client.pk).update(wrapped_key=b"shredded")
    assert list(signed_records_problems(cast.practice.pk))


def test_a_false_tombstone_over_a_live_key_does_not_make_verify_look_away(cast, old_client):
    """Someone who can write the database marks a client destroyed while its key still opens
    its records: verify names the false tombstone and keeps checking that client."""
    client, _ = old_client
    live_key = bytes(Client.objects.get(pk=client.pk).wrapped_key)
    destruction = _destroy(cast, client)
    Client.objects.filter(pk=client.pk).update(wrapped_key=live_key)
    problems = [str(p) for p in signed_records_problems(cast.practice.pk)]
    assert any(f"destruction {destruction.pk}" in p and "key is live" in p for p in problems)
    assert destroyed_records(cast.practice.pk) == []


def test_psynote_verify_and_retention_commands(cast, old_client, capsys):
    client, _ = old_client
    assert cli.cmd_retention(cli.build_parser().parse_args(["retention"])) == 0
    listed = capsys.readouterr().out
    assert "Fictional, Olden" in listed and "2024-06-01" in listed
    destruction = _destroy(cast, client)
    assert cli.cmd_verify(cli.build_parser().parse_args(["verify"])) == 0
    out = capsys.readouterr().out
    assert f"tombstone #{destruction.pk}" in out and "OK" in out


def test_retention_command_as_of_a_date(cast, old_client, capsys):
    assert (
        cli.cmd_retention(cli.build_parser().parse_args(["retention", "--on", "2024-05-31"])) == 0
    )
    assert "0 record(s) due" in capsys.readouterr().out


def test_chart_of_a_destroyed_record_shows_the_tombstone(cast, old_client, login):
    client, _ = old_client
    destruction = _destroy(cast, client)
    for user in (cast.alice, cast.ada):
        response = login(user).get(reverse("client_chart", args=[client.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Record destroyed" in page and f"#{destruction.pk}" in page


def test_keepers_destroy_from_the_retention_page(cast, old_client, client):
    old, _ = old_client
    client.force_login(cast.ada)
    assert "Olden" in client.get(reverse("retention")).content.decode()
    assert client.post(reverse("destruction_request", args=[old.pk])).status_code == 302
    destruction = Destruction.objects.get(client=old)
    client.force_login(cast.pria)
    response = client.post(
        reverse("destruction_decide", args=[destruction.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("destruction_decide", args=[destruction.pk]),
        {"decision": "confirm", "confirm": "destroy"},
    )
    assert response.status_code == 302
    assert Client.objects.get(pk=old.pk).is_destroyed


def test_hold_from_the_retention_page(cast, old_client, client):
    old, _ = old_client
    client.force_login(cast.pria)
    assert (
        client.post(
            reverse("legal_hold_place", args=[old.pk]), {"reason": "Litigation anticipated."}
        ).status_code
        == 302
    )
    hold = LegalHold.objects.get(client=old)
    assert client.post(reverse("legal_hold_release", args=[hold.pk]), {}).status_code == 400
    assert (
        client.post(
            reverse("legal_hold_release", args=[hold.pk]), {"confirm": "release"}
        ).status_code
        == 302
    )


def test_clinicians_and_front_desk_do_not_see_retention(cast, login):
    for user in (cast.alice, cast.fred, cast.bob):
        assert login(user).get(reverse("retention")).status_code == 404


def test_clinical_pages_of_a_destroyed_record_answer_404_not_an_error(cast, old_client, login):
    client, note = old_client
    _destroy(cast, client)
    browser = login(cast.alice)
    for url in (
        reverse("note_detail", args=[note.pk]),
        reverse("psychotherapy_note_list", args=[client.pk]),
        reverse("measures_client", args=[client.pk]),
        reverse("plan_detail", args=[client.pk]),
        f"/api/v1/notes/{note.pk}",
    ):
        assert browser.get(url).status_code == 404, url
