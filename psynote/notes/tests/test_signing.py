"""Signing progress notes and addenda (notes.actions): what a signature requires, what it
records, and that nothing changes afterwards."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote import testing as t
from psynote.audit.chain import verify_practice
from psynote.audit.models import AuditEvent
from psynote.lib import canonical_json
from psynote.notes import actions
from psynote.notes.models import Addendum, ProgressNote, SignedRecordLocked
from psynote.notes.templates import BUILTIN_TEMPLATES as TEMPLATES
from psynote.visits import actions as visit_actions
from psynote.visits.models import Session

REQUIRED = [
    (key, s.key, s.label) for key, tpl in TEMPLATES.items() for s in tpl.sections if s.required
]


def full_sections(template: str) -> dict[str, str]:
    return {s.key: f"Fictional {s.label.lower()}." for s in TEMPLATES[template].sections}


def draft(cast, *, template="soap", days_ago=0, **changes):
    day = timezone.localdate() - timedelta(days=days_ago)
    session = t.make_session(cast.client, cast.alice, day=day)
    return t.make_note(session, template=template, sections=full_sections(template), **changes)


def refusal(note, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        actions.sign_note(by=note.author, note=note, **kwargs)
    return caught.value.messages


# --- completeness ------------------------------------------------------------------------


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_a_complete_note_of_every_template_signs(cast, template):
    note = actions.sign_note(by=cast.alice, note=draft(cast, template=template))
    assert note.is_signed


@pytest.mark.parametrize(("template", "section", "label"), REQUIRED)
def test_each_required_section_must_be_written(cast, template, section, label):
    sections = full_sections(template) | {section: "   "}
    note = draft(cast, template=template)
    note = actions.save_draft(by=cast.alice, note=note, changes={"sections": sections})

    assert f"{label} is empty" in refusal(note)


def test_optional_intake_sections_may_stay_empty(cast):
    optional = [s.key for s in TEMPLATES["intake"].sections if not s.required]
    sections = full_sections("intake") | dict.fromkeys(optional, "")
    note = draft(cast, template="intake")
    note = actions.save_draft(by=cast.alice, note=note, changes={"sections": sections})

    assert actions.sign_note(by=cast.alice, note=note).is_signed


def test_a_session_without_start_and_stop_cannot_be_signed(cast):
    session = visit_actions.create_session(
        by=cast.alice,
        client=cast.client,
        clinician=cast.alice,
        date=timezone.localdate(),
        attendance=Session.Attendance.ATTENDED,
    )
    note = t.make_note(session)

    assert "the session needs a start and stop time" in refusal(note)


def test_a_note_must_name_a_diagnosis_addressed(cast):
    note = draft(cast, diagnosis_codes=[])

    assert "choose at least one diagnosis this session addressed" in refusal(note)


def test_flagged_risk_needs_a_level_and_protective_factors(cast):
    note = draft(cast, risk={"si": "passive"})
    problems = refusal(note)

    assert "risk was flagged: set the risk level" in problems
    assert "risk was flagged: record protective factors" in problems


@pytest.mark.parametrize("level", ["moderate", "high"])
def test_moderate_or_high_risk_needs_a_safety_plan(cast, level):
    note = draft(cast, risk={"flagged": True, "level": level, "protective_factors": "Family."})

    assert refusal(note) == ["moderate or high risk: record the safety plan"]


@pytest.mark.parametrize("level", ["low", "moderate", "high"])
def test_a_complete_risk_block_signs(cast, level):
    note = draft(
        cast,
        risk={
            "si": "active",
            "level": level,
            "protective_factors": "Family.",
            "safety_plan": "Crisis line; means removed.",
        },
    )
    note = actions.sign_note(by=cast.alice, note=note)

    assert note.risk_flagged and note.content()["risk"]["level"] == level


def test_homicidal_ideation_alone_flags_risk(cast):
    note = draft(cast, risk={"hi": "present"})
    assert note.risk_flagged
    assert "risk was flagged: set the risk level" in refusal(note)


def test_only_the_author_signs(cast):
    note = draft(cast)
    with pytest.raises(ValidationError, match="only the author"):
        actions.sign_note(by=cast.bob, note=note)


# --- what the signature records ----------------------------------------------------------


def test_the_signature_carries_name_and_credentials(cast):
    note = actions.sign_note(by=cast.alice, note=draft(cast))

    assert note.signer_name == "Alice Testperson, PhD"
    assert note.signed_by == cast.alice and note.signed_at is not None


def test_the_signed_note_freezes_the_session_facts_and_the_cpt_code(cast):
    note = actions.sign_note(by=cast.alice, note=draft(cast))
    session = note.content()["session"]

    assert session["minutes"] == 50 and session["start"] == "10:00" and session["end"] == "10:50"
    assert note.cpt_code == "90834"


def test_the_content_hash_recomputes_and_is_the_one_in_the_chain(cast):
    note = actions.sign_note(by=cast.alice, note=draft(cast))
    stored = ProgressNote.objects.get(pk=note.pk)
    event = AuditEvent.objects.get(action="note.sign", target_id=str(note.pk))

    assert stored.compute_hash() == stored.content_hash == note.content_hash
    assert canonical_json.loads(event.detail)["content_hash"] == note.content_hash
    assert verify_practice(cast.practice.pk).breaks == []


# --- late entries ------------------------------------------------------------------------


def test_a_late_note_needs_a_reason(cast, settings):
    settings.LATE_ENTRY_HOURS = 24
    note = draft(cast, days_ago=4)

    problems = refusal(note)
    assert any("more than 24 h after the session" in p for p in problems)


def test_a_late_note_with_a_reason_is_labelled_late(cast, settings):
    settings.LATE_ENTRY_HOURS = 24
    note = draft(cast, days_ago=4)
    note = actions.sign_note(by=cast.alice, note=note, late_reason="  Away sick.  ")

    assert note.late_entry is True
    assert note.content()["late_reason"] == "Away sick."
    event = AuditEvent.objects.get(action="note.sign", target_id=str(note.pk))
    assert canonical_json.loads(event.detail)["late_entry"] is True


def test_a_timely_note_is_not_labelled_and_keeps_no_reason(cast, settings):
    settings.LATE_ENTRY_HOURS = 24 * 30
    note = actions.sign_note(by=cast.alice, note=draft(cast, days_ago=4), late_reason="not needed")

    assert note.late_entry is False and note.content()["late_reason"] == ""


def test_the_practice_may_allow_a_longer_delay(cast, settings):
    settings.LATE_ENTRY_HOURS = 24
    cast.practice.late_entry_hours = 24 * 30
    cast.practice.save()

    note = actions.sign_note(by=cast.alice, note=draft(cast, days_ago=4))
    assert note.late_entry is False


def test_the_practice_may_require_a_shorter_delay(cast, settings):
    settings.LATE_ENTRY_HOURS = 24 * 30
    cast.practice.late_entry_hours = 24
    cast.practice.save()

    assert any("more than 24 h" in p for p in refusal(draft(cast, days_ago=4)))


# --- locked once signed ------------------------------------------------------------------


@pytest.fixture
def signed(cast):
    return actions.sign_note(by=cast.alice, note=draft(cast))


def test_a_signed_note_refuses_save(signed):
    note = ProgressNote.objects.get(pk=signed.pk)
    note.cpt_code = "90837"
    with pytest.raises(SignedRecordLocked):
        note.save()


def test_a_signed_note_refuses_delete(signed):
    with pytest.raises(SignedRecordLocked):
        ProgressNote.objects.get(pk=signed.pk).delete()


def test_a_signed_note_refuses_further_drafts(cast, signed):
    with pytest.raises(ValidationError, match="signed and locked"):
        actions.save_draft(by=cast.alice, note=signed, changes={"sections": {"plan": "x"}})


def test_a_signed_note_cannot_be_signed_again(cast, signed):
    with pytest.raises(ValidationError, match="already signed"):
        actions.sign_note(by=cast.alice, note=signed)


def test_the_signed_sessions_time_is_locked_too(cast, signed):
    with pytest.raises(ValidationError, match="signed"):
        visit_actions.update_session(by=cast.alice, session=signed.session, end_time=time(11, 30))


# --- addenda -----------------------------------------------------------------------------


def test_addenda_are_signed_and_kept_in_order(cast, signed):
    first = actions.add_addendum(by=cast.alice, note=signed, body="First correction.")
    second = actions.add_addendum(
        by=cast.alice, note=signed, body="Later information.", kind=Addendum.Kind.LATE_INFORMATION
    )

    addenda = list(ProgressNote.objects.get(pk=signed.pk).addenda.all())
    assert [a.pk for a in addenda] == [first.pk, second.pk]
    for addendum in addenda:
        assert addendum.signer_name == "Alice Testperson, PhD"
        assert addendum.compute_hash() == addendum.content_hash
    assert addenda[1].body() == "Later information."
    assert verify_practice(cast.practice.pk).breaks == []


def test_an_addendum_vouches_for_the_note_it_is_under(cast, signed):
    addendum = actions.add_addendum(by=cast.alice, note=signed, body="Clarified.")
    assert addendum.signature_payload()["note_hash"] == signed.content_hash


def test_an_addendum_refuses_save_and_delete(cast, signed):
    addendum = actions.add_addendum(by=cast.alice, note=signed, body="Clarified.")
    stored = Addendum.objects.get(pk=addendum.pk)
    with pytest.raises(SignedRecordLocked):
        stored.save()
    with pytest.raises(SignedRecordLocked):
        stored.delete()


def test_addenda_go_under_signed_notes_only(cast):
    with pytest.raises(ValidationError, match="edit the draft"):
        actions.add_addendum(by=cast.alice, note=draft(cast), body="Too early.")


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        ("   ", "correction", "empty"),
        ("x" * (actions.MAX_ADDENDUM + 1), "correction", "longer than"),
        ("Fine.", "rewrite", "kind must be one of"),
    ],
)
def test_an_addendum_must_be_sensible(cast, signed, body, kind, message):
    with pytest.raises(ValidationError, match=message):
        actions.add_addendum(by=cast.alice, note=signed, body=body, kind=kind)
