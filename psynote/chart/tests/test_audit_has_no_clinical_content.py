"""The audit log is about access, not content: after a diagnosis, a PHQ-9 with a critical
answer, its risk alert and its resolution, a schedule and a self-report link, no event
and neither the log page nor its CSV carries a code, a score, an answer, an instrument or
how a risk was handled. The privacy officer reads the log without reading the chart."""

from psynote.audit.models import AuditEvent
from psynote.clients import actions as client_actions
from psynote.measures import actions as measure_actions

CLINICAL = ("F43.10", "Post-traumatic", "phq9", "PHQ-9", '"total"', '"items"',
            '"code"', "referred", "resolution", '"instrument"', "Moderately severe")


def test_no_event_carries_clinical_content(cast, login):
    diagnosis = client_actions.add_diagnosis(by=cast.alice, client=cast.client, code="F43.10")
    client_actions.set_diagnosis_status(by=cast.alice, diagnosis=diagnosis, status="resolved")
    administration = measure_actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9",
        answers={n: 2 for n in range(1, 9)} | {9: 2},
    )
    measure_actions.resolve_alert(by=cast.alice, alert=administration.risk_alert,
                                  resolution="referred", note="Crisis line called.")
    measure_actions.set_schedule(by=cast.alice, client=cast.client, instrument_key="phq9",
                                 every_n_days=14)
    measure_actions.stop_schedule(by=cast.alice, client=cast.client, instrument_key="phq9")
    measure_actions.create_self_report_link(by=cast.alice, client=cast.client,
                                            instrument_key="phq9")

    stored = "\n".join(f"{e.action} {e.target_type} {e.detail}" for e in AuditEvent.objects.all())
    assert "risk_alert.open" in stored and "diagnosis.add" in stored  # the kinds of action
    assert [word for word in CLINICAL if word in stored] == []

    pria = login(cast.pria)
    page = pria.get("/audit/").content.decode()
    csv_text = b"".join(pria.get("/audit/export.csv").streaming_content).decode()
    assert cast.client.last_name in page  # the control: the log does show whose record
    for shown in (page, csv_text):
        assert [word for word in CLINICAL if word in shown] == []


def test_events_written_before_the_change_show_no_clinical_keys_and_still_verify(cast, login):
    """Older events kept their clinical detail keys; their bytes stay (the chain verifies)
    but the log page and its CSV withhold those keys."""
    from psynote.audit import chain, log

    log.record(practice_id=cast.practice.pk, action="diagnosis.add", actor=cast.alice,
               target_type="diagnosis", target_id="legacy", client_id=str(cast.client.pk),
               detail={"code": "F43.10", "note": "kept"})
    log.record(practice_id=cast.practice.pk, action="measure.administer", actor=cast.alice,
               target_type="administration", target_id="legacy2",
               client_id=str(cast.client.pk),
               detail={"instrument": "phq9", "total": 19, "items": [9], "source": "in_session"})
    assert not chain.verify_practice(cast.practice.pk).breaks
    pria = login(cast.pria)
    page = pria.get("/audit/").content.decode()
    csv_text = b"".join(pria.get("/audit/export.csv").streaming_content).decode()
    for shown in (page, csv_text):
        assert "in_session" in shown and "kept" in shown
        assert [word for word in CLINICAL if word in shown] == []
