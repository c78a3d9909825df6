from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.test_psychotherapy_markers import package_text
from psynote.notes import actions as note_actions
from psynote.records import actions
from psynote.records.models import AccessRequest


def test_access_request_is_due_thirty_days_after_it_was_made(cast):
    day = timezone.localdate() - timedelta(days=3)
    request = actions.record_access_request(by=cast.pria, client=cast.client, requested_on=day)
    assert request.due_on == day + timedelta(days=30)
    assert AuditEvent.objects.filter(
        action="access_request.create", target_id=str(request.pk)
    ).exists()


def test_access_request_cannot_be_dated_in_the_future(cast):
    with pytest.raises(ValidationError):
        actions.record_access_request(
            by=cast.alice, client=cast.client, requested_on=timezone.localdate() + timedelta(days=1)
        )


def test_open_request_past_its_due_date_is_overdue(cast):
    day = timezone.localdate() - timedelta(days=31)
    request = actions.record_access_request(by=cast.alice, client=cast.client, requested_on=day)
    assert request.is_overdue()
    assert not request.is_overdue(today=day + timedelta(days=30))


def test_producing_the_record_goes_through_the_gate_to_the_individual_without_psychotherapy_notes(
    cast,
):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True, sections=t.SOAP | {"subjective": "PROGRESSMARKER week"})
    t.open_psychotherapy_notes(cast.alice)
    note_actions.write_psychotherapy_note(
        by=cast.alice, client=cast.client, body="PROCESSMARKER private thoughts"
    )
    request = actions.record_access_request(
        by=cast.alice, client=cast.client, requested_on=timezone.localdate()
    )
    package = actions.produce_access(by=cast.alice, request=request, fmt="fhir-bundle")
    text = package_text(package.data)
    assert "PROGRESSMARKER" in text
    assert "PROCESSMARKER" not in text
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.PRODUCED
    disclosure = Disclosure.objects.get(pk=request.disclosure_id)
    assert disclosure.exception == "to_individual"
    assert "psychotherapy_notes" not in disclosure.scope
    assert AuditEvent.objects.filter(action="access_request.produce").exists()


def test_privacy_officer_cannot_produce_the_record(cast):
    request = actions.record_access_request(
        by=cast.pria, client=cast.client, requested_on=timezone.localdate()
    )
    with pytest.raises(ValidationError):
        actions.produce_access(by=cast.pria, request=request, fmt="fhir-bundle")
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.OPEN


def test_a_produced_request_is_not_produced_twice(cast):
    request = actions.record_access_request(
        by=cast.alice, client=cast.client, requested_on=timezone.localdate()
    )
    actions.produce_access(by=cast.alice, request=request, fmt="fhir-bundle")
    with pytest.raises(ValidationError):
        actions.produce_access(by=cast.alice, request=request, fmt="fhir-bundle")


def test_clinician_records_and_produces_from_the_rights_page(cast, login):
    web = login(cast.alice)
    url = reverse("client_rights", args=[cast.client.pk])
    response = web.post(
        reverse("access_request_new", args=[cast.client.pk]),
        {"requested_on": str(timezone.localdate())},
    )
    assert response.status_code == 302
    request = AccessRequest.objects.get(client=cast.client)
    assert "Record an access request" in web.get(url).content.decode()
    response = web.post(
        reverse("access_request_produce", args=[request.pk]), {"format": "fhir-bundle"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"


def test_bad_request_date_shows_a_message_not_a_500(cast, login):
    web = login(cast.pria)
    response = web.post(
        reverse("access_request_new", args=[cast.client.pk]), {"requested_on": "yesterday"}
    )
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode()


def test_overdue_requests_are_flagged_for_privacy_officer_and_care_team(cast, login):
    actions.record_access_request(
        by=cast.alice, client=cast.client, requested_on=timezone.localdate() - timedelta(days=40)
    )
    for user in (cast.pria, cast.alice):
        page = login(user).get(reverse("rights_overview")).content.decode()
        assert "Overdue" in page and "Avery" in page
    assert "Avery" not in login(cast.bob).get(reverse("rights_overview")).content.decode()


def test_front_desk_and_admin_do_not_see_rights_requests(cast, login):
    for user in (cast.fred, cast.ada):
        assert login(user).get(reverse("client_rights", args=[cast.client.pk])).status_code == 404
        assert login(user).get(reverse("rights_overview")).status_code == 404


def test_api_records_and_lists_access_requests(cast, client):
    from psynote.accounts.actions import issue_token

    _, secret = issue_token(by=cast.pria, name="test")
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/clients/{cast.client.pk}/access-requests"
    response = client.post(
        url, {"requested_on": "2026-01-05"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    assert response.json()["due_on"] == "2026-02-04"
    listed = client.get(url, headers=headers).json()
    assert [r["id"] for r in listed] == [response.json()["id"]]
    future = client.post(
        url, {"requested_on": "2999-01-01"}, content_type="application/json", headers=headers
    )
    assert future.status_code == 400


def test_api_refuses_amendment_requests_to_front_desk(cast, client):
    from psynote.accounts.actions import issue_token

    _, secret = issue_token(by=cast.fred, name="test")
    response = client.get(
        f"/api/v1/clients/{cast.client.pk}/amendment-requests",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 404
