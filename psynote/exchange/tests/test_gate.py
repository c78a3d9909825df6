from datetime import date, timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.exchange import actions, gate
from psynote.exchange.models import Authorization, Disclosure
from psynote.exchange.tests.conftest import authorize

PN = {"psychotherapy_notes"}
NOTES = {"progress_notes"}
ALL_TIME = (None, None)


def refusal(by, client, scope, basis, date_range=ALL_TIME, purpose="Continuity of care"):
    with pytest.raises(gate.Refused) as caught:
        gate.authorise(by, client, scope, date_range, purpose, basis)
    return str(caught.value)


def under(code, justification="A fictional reason that applies.", **fields):
    fields.setdefault("recipient_name", "Fictional Recipient")
    return gate.UnderException(code=code, justification=justification, **fields)


def test_authorization_covering_the_scope_grants(record):
    authorization = authorize(record.alice, record.client, NOTES | {"diagnoses"})
    grant = gate.authorise(record.alice, record.client, NOTES, ALL_TIME, "Care", authorization)
    assert grant.authorization == authorization
    assert grant.recipient_name == "Dr Fictional Receiver"


def test_gate_refuses_scope_the_authorization_does_not_cover(record):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    message = refusal(record.alice, record.client, NOTES, authorization)
    assert "does not cover Progress notes" in message


def test_gate_refuses_an_expired_authorization(record):
    authorization = authorize(record.alice, record.client, NOTES)
    Authorization.objects.filter(pk=authorization.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    authorization.refresh_from_db()
    assert "expired" in refusal(record.alice, record.client, NOTES, authorization)


def test_authorization_expiring_today_still_covers(record):
    authorization = authorize(record.alice, record.client, NOTES, expires_on=timezone.localdate())
    gate.authorise(record.alice, record.client, NOTES, ALL_TIME, "Care", authorization)


def test_gate_refuses_a_revoked_authorization(record):
    authorization = authorize(record.alice, record.client, NOTES)
    authorization = actions.revoke_authorization(by=record.alice, authorization=authorization)
    assert "revoked" in refusal(record.alice, record.client, NOTES, authorization)


def test_gate_refuses_another_clients_authorization(record, cast):
    t.make_client(cast.alice, first_name="Other", last_name="Fictional")
    other = cast.alice.care_teams.exclude(client=record.client).first().client
    authorization = authorize(record.alice, other, NOTES)
    assert "not this client's" in refusal(record.alice, record.client, NOTES, authorization)


def test_gate_refuses_dates_outside_the_authorization(record):
    authorization = authorize(
        record.alice, record.client, NOTES, date_from=date(2025, 1, 1), date_to=date(2025, 3, 31)
    )
    assert "from 2025-01-01" in refusal(record.alice, record.client, NOTES, authorization)
    assert "up to 2025-03-31" in refusal(
        record.alice,
        record.client,
        NOTES,
        authorization,
        date_range=(date(2025, 1, 1), date(2025, 6, 1)),
    )
    gate.authorise(
        record.alice,
        record.client,
        NOTES,
        (date(2025, 2, 1), date(2025, 3, 1)),
        "Care",
        authorization,
    )


def test_gate_refuses_psychotherapy_notes_under_an_ordinary_authorization(record):
    authorization = authorize(record.alice, record.client, NOTES | {"diagnoses"})
    message = refusal(record.alice, record.client, PN, authorization)
    assert "does not cover Psychotherapy notes" in message


def test_gate_refuses_psychotherapy_notes_mixed_with_the_record(record):
    authorization = authorize(record.alice, record.client, PN)
    message = refusal(record.alice, record.client, PN | NOTES, authorization)
    assert "on their own" in message


def test_gate_grants_psychotherapy_notes_under_an_authorization_naming_them_alone(record):
    authorization = authorize(record.alice, record.client, PN)
    grant = gate.authorise(record.alice, record.client, PN, ALL_TIME, "Care", authorization)
    assert grant.scope == frozenset(PN)


def test_psychotherapy_notes_are_refused_under_the_treatment_exception(record):
    message = refusal(record.alice, record.client, PN, under("treatment"))
    assert "cannot be disclosed under" in message


@pytest.mark.parametrize(
    "code",
    ["required_by_law", "serious_threat", "coroner", "hhs_compliance", "oversight_of_originator"],
)
def test_psychotherapy_notes_are_allowed_under_the_exceptions_domain_names(record, code):
    grant = gate.authorise(record.alice, record.client, PN, ALL_TIME, "Court order", under(code))
    assert grant.exception == code


@pytest.mark.parametrize("justification", ["", "   "])
def test_an_exception_needs_a_justification(record, justification):
    message = refusal(record.alice, record.client, NOTES, under("treatment", justification))
    assert "needs your justification" in message


def test_an_unknown_exception_is_refused(record):
    assert "listed exceptions" in refusal(record.alice, record.client, NOTES, under("whim"))


def test_an_exception_needs_a_recipient(record):
    message = refusal(record.alice, record.client, NOTES, under("treatment", recipient_name=""))
    assert "Name the recipient" in message


def test_a_purpose_is_required(record):
    authorization = authorize(record.alice, record.client, NOTES)
    assert "purpose" in refusal(record.alice, record.client, NOTES, authorization, purpose=" ")


@pytest.mark.parametrize("who", ["bob", "sam", "ada", "fred", "pria"])
def test_only_the_care_team_may_disclose(record, cast, who):
    authorization = authorize(record.alice, record.client, NOTES)
    message = refusal(getattr(cast, who), record.client, NOTES, authorization)
    assert "care team" in message


def test_a_supervisor_reads_but_does_not_disclose_a_supervisees_client(cast):
    authorization = authorize(cast.sue, cast.supervisee_client, NOTES)
    assert "care team" in refusal(cast.sam, cast.supervisee_client, NOTES, authorization)


def test_a_refusal_is_audited_with_its_reason(record):
    authorization = authorize(record.alice, record.client, {"diagnoses"})
    refusal(record.alice, record.client, NOTES, authorization)
    event = AuditEvent.objects.filter(action="disclosure.refused").latest("seq")
    assert event.client_id == str(record.client.pk)
    assert "does not cover" in event.detail


def test_a_revocation_after_the_grant_wins_at_export(record):
    authorization = authorize(record.alice, record.client, PN)
    grant = gate.authorise(record.alice, record.client, PN, ALL_TIME, "Care", authorization)
    actions.revoke_authorization(by=record.alice, authorization=authorization)
    with pytest.raises(gate.Refused, match="revoked"):
        gate.export_client(record.alice, record.client, grant, "fhir-bundle")
    assert not Disclosure.objects.exists()


def test_a_grant_is_only_good_for_its_own_user_and_client(record, cast):
    authorization = authorize(record.alice, record.client, PN)
    grant = gate.authorise(record.alice, record.client, PN, ALL_TIME, "Care", authorization)
    with pytest.raises(gate.Refused):
        gate.export_client(cast.bob, record.client, grant, "fhir-bundle")
    forged = gate.Grant(**{**grant.__dict__, "_token": None})
    with pytest.raises(gate.Refused):
        gate.export_client(record.alice, record.client, forged, "fhir-bundle")


def test_an_unavailable_format_is_refused_clearly(record, monkeypatch):
    monkeypatch.setitem(gate.BUILDER_SOURCES, "pdf", ("psynote.exchange.no_such_module", "x"))
    grant = gate.authorise(record.alice, record.client, NOTES, ALL_TIME, "Care", under("treatment"))
    with pytest.raises(gate.Refused, match="not available"):
        gate.export_client(record.alice, record.client, grant, "pdf")
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("fmt", list(Disclosure.Format.values))
def test_every_successful_export_is_logged_with_its_audit_event(record, fmt):
    authorization = authorize(record.alice, record.client, NOTES | {"diagnoses"})
    grant = gate.authorise(
        record.alice, record.client, NOTES | {"diagnoses"}, ALL_TIME, "Care", authorization
    )
    if fmt not in gate.available_formats():
        with pytest.raises(gate.Refused, match="not available"):
            gate.export_client(record.alice, record.client, grant, fmt)
        assert not Disclosure.objects.exists()
        return
    package = gate.export_client(record.alice, record.client, grant, fmt)
    disclosure = Disclosure.objects.get()
    assert disclosure.package_sha256 == package.sha256
    assert disclosure.record_ids["progress_notes"] == [str(record.note.pk)]
    assert disclosure.authorization == authorization
    event = AuditEvent.objects.get(action="disclosure.create")
    assert event.target_id == str(disclosure.pk)
    assert package.sha256 in event.detail


def test_a_psychotherapy_note_disclosure_is_logged_with_its_audit_event(record):
    authorization = authorize(record.alice, record.client, PN)
    grant = gate.authorise(record.alice, record.client, PN, ALL_TIME, "Care", authorization)
    package = gate.export_client(record.alice, record.client, grant, "fhir-bundle")
    disclosure = Disclosure.objects.get()
    assert disclosure.record_ids == {"psychotherapy_notes": [str(record.pnote.pk)]}
    assert disclosure.package_sha256 == package.sha256
    assert AuditEvent.objects.filter(
        action="disclosure.create", target_id=str(disclosure.pk)
    ).exists()
