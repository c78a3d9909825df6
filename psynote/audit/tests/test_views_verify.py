"""The "Verify integrity" button of the audit log page."""

import json

from django.db import connection

from psynote import testing as t
from psynote.audit.models import AuditEvent


def _tamper(event: AuditEvent, detail: str) -> None:
    """Edit an event behind the application's back, as someone with database access could."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER {table}_refuse_update")
        payload = json.loads(event.payload) | {"detail": json.loads(detail)}
        cursor.execute(
            f"UPDATE {table} SET payload = %s WHERE id = %s", [json.dumps(payload), event.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def test_verify_reports_an_intact_chain(cast, login):
    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    response = login(cast.pria).post("/audit/verify/")
    assert response.status_code == 200
    assert response.context["intact"] is True
    report = response.context["report"]
    page = response.content.decode()
    assert "intact" in page and report.head.hex() in page
    # Every event but the audit.verify written after the check.
    assert report.events == AuditEvent.objects.filter(practice_id=cast.practice.pk).count() - 1
    assert f"<dd>{report.events}</dd>" in page


def test_verify_is_audited(cast, login):
    login(cast.pria).post("/audit/verify/")
    event = AuditEvent.objects.filter(action="audit.verify").get()
    assert event.actor_id == str(cast.pria.pk)
    assert '"intact":true' in event.detail


def test_verify_names_the_first_tampered_event(cast, login):
    victim = (
        AuditEvent.objects.filter(practice_id=cast.practice.pk, action="client.create")
        .order_by("seq")
        .first()
    )
    _tamper(victim, '{"quietly":"changed"}')
    response = login(cast.pria).post("/audit/verify/")
    assert response.status_code == 200
    assert response.context["intact"] is False
    page = response.content.decode()
    assert "broken" in page
    assert f"audit event #{victim.seq}" in page and "edited" in page
    event = AuditEvent.objects.filter(action="audit.verify").get()
    assert '"intact":false' in event.detail


def test_verify_reports_a_signed_note_that_no_longer_matches_the_chain(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    sign = AuditEvent.objects.get(action="note.sign", target_id=str(note.pk))
    _tamper(sign, '{"content_hash":"' + "0" * 64 + '"}')
    response = login(cast.pria).post("/audit/verify/")
    assert response.context["intact"] is False
    assert response.context["problem_count"] == 1
    assert f"progress note {note.pk}" in response.content.decode()


def test_only_the_privacy_officer_may_verify(cast, login):
    for user in (cast.alice, cast.ada, cast.fred, cast.sam):
        assert login(user).post("/audit/verify/").status_code == 404
    assert not AuditEvent.objects.filter(action="audit.verify").exists()


def test_verify_requires_post(cast, login):
    assert login(cast.pria).get("/audit/verify/").status_code == 405


def test_the_integrity_check_compares_with_checkpoints_and_catches_a_cut_tail(cast, login):
    """The privacy officer's button anchors the head like `psynote verify`; a tail cut and
    the head rewritten afterwards (consistent in itself) is reported as broken."""
    from psynote.audit.tests import attacker
    from psynote.lib.tests import triggers

    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    pria = login(cast.pria)
    first = pria.post("/audit/verify/").content.decode()
    assert "intact" in first and "new checkpoint" in first
    head = AuditEvent.objects.filter(practice_id=cast.practice.pk).order_by("-seq").first()
    triggers.disable()
    attacker.cut_tail(cast.practice.pk, head.seq - 3)
    page = pria.post("/audit/verify/").content.decode()
    assert "broken" in page and "checkpoint" in page
