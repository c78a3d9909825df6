import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.notes.models import Addendum, ProgressNote
from psynote.records import actions
from psynote.records.models import AmendmentRequest


@pytest.fixture
def signed(cast):
    return t.make_note(t.make_session(cast.client, cast.alice), sign=True)


def _request(cast, days_ago: int = 0, note=None) -> AmendmentRequest:
    return actions.record_amendment_request(
        by=cast.alice,
        client=cast.client,
        note=note,
        requested_on=timezone.localdate() - timedelta(days=days_ago),
        request="The date of my move is wrong; it was March, not May.",
    )


def test_request_text_is_sealed_and_due_in_sixty_days(cast):
    amendment = _request(cast)
    assert amendment.due_on == amendment.requested_on + timedelta(days=60)
    assert b"March" not in bytes(AmendmentRequest.objects.get(pk=amendment.pk).request_ct)
    assert "March" in AmendmentRequest.objects.get(pk=amendment.pk).text("request")


def test_accepting_appends_a_correction_addendum_and_leaves_the_signed_note_unchanged(cast, signed):
    before = (signed.content_hash, bytes(signed.content_ct))
    amendment = actions.accept_amendment(
        by=cast.alice,
        amendment=_request(cast, note=signed),
        body="Moved in March (client's amendment).",
    )
    note = ProgressNote.objects.get(pk=signed.pk)
    assert (note.content_hash, bytes(note.content_ct)) == before
    addendum = Addendum.objects.get(pk=amendment.addendum_id)
    assert addendum.note_id == signed.pk and addendum.kind == "correction"
    assert "Moved in March" in addendum.body()
    assert amendment.status == "accepted" and amendment.decided_by == cast.alice


def test_denial_needs_a_reason_from_the_rule(cast):
    amendment = _request(cast)
    with pytest.raises(ValidationError):
        actions.deny_amendment(
            by=cast.alice, amendment=amendment, reason="dont_like_it", explanation="No."
        )
    amendment = actions.deny_amendment(
        by=cast.alice,
        amendment=amendment,
        reason="accurate",
        explanation="The record is accurate as written.",
    )
    assert amendment.status == "denied"


def test_denial_disagreement_and_rebuttal_are_linked_in_order(cast):
    amendment = _request(cast)
    with pytest.raises(ValidationError):
        actions.add_disagreement(by=cast.pria, amendment=amendment, statement="Early.")
    actions.deny_amendment(
        by=cast.alice, amendment=amendment, reason="accurate", explanation="Accurate."
    )
    with pytest.raises(ValidationError):
        actions.add_rebuttal(by=cast.alice, amendment=amendment, rebuttal="Too soon.")
    actions.add_disagreement(by=cast.pria, amendment=amendment, statement="I disagree.")
    amendment = actions.add_rebuttal(by=cast.alice, amendment=amendment, rebuttal="We stand by it.")
    stored = AmendmentRequest.objects.get(pk=amendment.pk)
    assert [stored.text(f) for f in ("denial", "disagreement", "rebuttal")] == [
        "Accurate.",
        "I disagree.",
        "We stand by it.",
    ]
    assert AuditEvent.objects.filter(action__startswith="amendment_request.").count() == 4


def test_only_the_care_team_decides(cast, signed):
    amendment = _request(cast, note=signed)
    with pytest.raises(ValidationError):
        actions.accept_amendment(by=cast.pria, amendment=amendment, body="Fix.")
    with pytest.raises(ValidationError):
        actions.deny_amendment(
            by=cast.bob, amendment=amendment, reason="accurate", explanation="No."
        )


def test_one_extension_of_thirty_days_with_notice_inside_the_first_sixty(cast):
    amendment = _request(cast, days_ago=65)
    with pytest.raises(ValidationError):
        actions.extend_amendment(
            by=cast.pria, amendment=amendment, notice_on=amendment.requested_on - timedelta(days=1)
        )
    amendment = actions.extend_amendment(
        by=cast.pria, amendment=amendment, notice_on=amendment.requested_on + timedelta(days=60)
    )
    assert amendment.extended_to == amendment.requested_on + timedelta(days=90)
    with pytest.raises(ValidationError):
        actions.extend_amendment(
            by=cast.pria, amendment=amendment, notice_on=amendment.requested_on + timedelta(days=10)
        )


def test_notice_after_the_sixtieth_day_is_too_late(cast):
    amendment = _request(cast, days_ago=70)
    with pytest.raises(ValidationError, match="first 60 days"):
        actions.extend_amendment(
            by=cast.pria, amendment=amendment, notice_on=amendment.requested_on + timedelta(days=61)
        )


def test_overdue_after_sixty_days_or_after_the_extension(cast):
    amendment = _request(cast, days_ago=61)
    assert amendment.is_overdue()
    amendment = _request(cast, days_ago=61)
    amendment = actions.extend_amendment(
        by=cast.alice, amendment=amendment, notice_on=amendment.requested_on + timedelta(days=5)
    )
    assert not amendment.is_overdue()
    assert amendment.is_overdue(today=amendment.requested_on + timedelta(days=91))


def test_clinician_accepts_from_the_page(cast, signed, login):
    amendment = _request(cast)
    web = login(cast.alice)
    page = web.get(reverse("client_rights", args=[cast.client.pk])).content.decode()
    assert "March, not May" in page
    response = web.post(
        reverse("amendment_act", args=[amendment.pk]),
        {"step": "accept", "note_id": str(signed.pk), "body": "Moved in March."},
    )
    assert response.status_code == 302
    assert AmendmentRequest.objects.get(pk=amendment.pk).status == "accepted"


def test_privacy_officer_reads_what_the_client_asked_but_not_the_notes(cast, login, signed):
    """The request is the client's own words to the practice, which the privacy officer
    receives and processes (records.access.sees_request_texts); the note stays closed."""
    amendment = _request(cast, note=signed)
    actions.accept_amendment(by=cast.alice, amendment=amendment, note=signed,
                             body="Corrected: the move was in March.")  # fmt: skip
    page = login(cast.pria).get(reverse("client_rights", args=[cast.client.pk])).content.decode()
    assert "March, not May" in page and "Requested" in page
    assert "Corrected: the move" not in page
    assert reverse("note_detail", args=[signed.pk]) not in page
    event = AuditEvent.objects.filter(action="rights.view").order_by("seq").last()
    assert json.loads(event.detail) == {"clinical": False, "texts": True}


def test_the_rights_page_is_reached_from_the_chart(cast, login):
    chart = login(cast.alice).get(reverse("client_chart", args=[cast.client.pk])).content.decode()
    assert reverse("client_rights", args=[cast.client.pk]) in chart
    assert "Access and amendment requests" in chart


def test_unknown_step_is_a_message_not_a_500(cast, login):
    amendment = _request(cast)
    response = login(cast.alice).post(reverse("amendment_act", args=[amendment.pk]), {})
    assert response.status_code == 400
