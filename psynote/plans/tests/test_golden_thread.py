"""The golden thread: progress notes rate the plan's objectives, the plan page lists under
each objective the signed notes that worked on it, and a note that addresses none of an
active plan's objectives needs a reason to be signed."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from psynote import testing as t
from psynote.notes import actions as note_actions
from psynote.notes.models import ProgressNote
from psynote.notes.queries import golden_thread
from psynote.plans import actions, queries


@pytest.fixture
def plan(cast):
    return t.make_plan(cast.client, cast.alice, objectives=2)


def _keys(cast) -> list[str]:
    return [o.key for o in queries.active_objectives(cast.client)]


def _rated_note(cast, day, rating, comment="", start=time(10, 0)):
    session = t.make_session(cast.client, cast.alice, day=day, start=start)
    return t.make_note(
        session,
        sign=True,
        objectives=[{"objective_key": _keys(cast)[0], "rating": rating, "comment": comment}],
    )


def test_active_objectives_list_the_plan_in_force(cast, plan):
    objectives = queries.active_objectives(cast.client)
    assert [o.text for o in objectives] == [
        "Fictional objective 1: practise worry time daily.",
        "Fictional objective 2: practise worry time daily.",
    ]
    assert objectives[0].goal_text == "Worry less and return to work."
    assert objectives[0].target == "GAD-7 below 10" and objectives[0].diagnosis_code == "F41.1"


def test_a_draft_plan_has_no_active_objectives(cast):
    t.make_plan(cast.client, cast.alice, sign=False)
    assert queries.active_objectives(cast.client) == []


def test_achieved_objectives_are_no_longer_active(cast, plan):
    draft = actions.start_version(by=cast.alice, client=cast.client)
    structure = draft.structure() | {
        "client_agreement_date": plan.client_agreement_date,
        "client_agreement_method": "verbal",
    }
    structure["problems"][0]["goals"][0]["objectives"][0]["status"] = "achieved"
    actions.save_structure(by=cast.alice, version=draft, structure=structure)
    actions.sign_version(by=cast.alice, version=draft)
    assert len(queries.active_objectives(cast.client)) == 1


def test_a_note_rates_an_objective_and_keeps_its_text(cast, plan):
    note = _rated_note(cast, None, "progressing", "Used worry time four days.")
    entry = note.content()["objectives"][0]
    assert entry["objective_key"] == _keys(cast)[0]
    assert entry["objective"].startswith("Fictional objective 1")
    assert entry["rating"] == "progressing" and entry["comment"] == "Used worry time four days."


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"objective_key": "9d1e6a4e-0000-4000-8000-000000000000", "rating": "progressing"},
            "not an open objective",
        ),
        ({"rating": "progressing"}, "not an open objective"),
        ({"objective_key": None, "rating": "achieved", "extra": 1}, "unknown fields"),
    ],
)
def test_a_note_cannot_rate_what_is_not_an_open_objective(cast, plan, entry, message):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError, match=message):
        note_actions.save_draft(by=cast.alice, note=note, changes={"objectives": [entry]})


def test_a_rating_must_be_one_of_the_choices(cast, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError, match="must be one of"):
        note_actions.save_draft(
            by=cast.alice,
            note=note,
            changes={"objectives": [{"objective_key": _keys(cast)[0], "rating": "wonderful"}]},
        )


def test_an_objective_of_another_clients_plan_is_refused(cast, plan):
    t.make_plan(cast.other_client, cast.bob)
    other_key = queries.active_objectives(cast.other_client)[0].key
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError, match="not an open objective"):
        note_actions.save_draft(
            by=cast.alice,
            note=note,
            changes={"objectives": [{"objective_key": other_key, "rating": "progressing"}]},
        )


def test_signing_a_note_that_addresses_no_objective_asks_for_a_reason(cast, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    with pytest.raises(ValidationError) as caught:
        note_actions.sign_note(by=cast.alice, note=note)
    assert any("addresses none of the objectives" in m for m in caught.value.messages)
    assert not ProgressNote.objects.get(pk=note.pk).is_signed
    signed = note_actions.sign_note(
        by=cast.alice, note=note, no_objective_reason="Crisis session about housing."
    )
    assert signed.content()["no_objective_reason"] == "Crisis session about housing."


def test_the_reason_may_be_written_in_the_draft(cast, plan):
    note = t.make_note(
        t.make_session(cast.client, cast.alice),
        no_objective_reason="Intake of new information only.",
    )
    assert note_actions.sign_note(by=cast.alice, note=note).is_signed


def test_no_reason_is_needed_without_a_plan_in_force(cast):
    t.make_plan(cast.client, cast.alice, sign=False)
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    assert note.is_signed and "no_objective_reason" not in note.content()


def test_a_note_that_rates_an_objective_keeps_no_reason(cast, plan):
    note = t.make_note(
        t.make_session(cast.client, cast.alice),
        no_objective_reason="Draft.",
        objectives=[{"objective_key": _keys(cast)[0], "rating": "no_change"}],
    )
    assert "no_objective_reason" not in note_actions.sign_note(by=cast.alice, note=note).content()


def _days_ago(n: int):
    # Within the late-entry window, so that no late reason is needed.
    return timezone.localdate() - timedelta(days=n)


def test_the_thread_lists_signed_notes_oldest_first_and_survives_a_new_version(cast, plan):
    later = _rated_note(cast, _days_ago(1), "achieved", "Goal met.")
    earlier = _rated_note(cast, _days_ago(2), "progressing")
    t.make_note(
        t.make_session(cast.client, cast.alice, day=_days_ago(0), start=time(8, 0)),
        objectives=[{"objective_key": _keys(cast)[0], "rating": "regressing"}],
    )  # draft
    key = _keys(cast)[0]
    # A revision keeps the objective's key, so the thread goes on.
    draft = actions.start_version(by=cast.alice, client=cast.client)
    actions.save_structure(
        by=cast.alice,
        version=draft,
        structure=draft.structure()
        | {
            "client_agreement_date": plan.client_agreement_date.isoformat(),
            "client_agreement_method": "verbal",
        },
    )
    actions.sign_version(by=cast.alice, version=draft)
    thread = golden_thread(cast.client)[key]
    assert [e.note_id for e in thread] == [earlier.pk, later.pk]
    assert [e.rating_label for e in thread] == ["Progressing", "Achieved"]


def test_the_plan_page_shows_the_notes_under_each_objective_in_order(cast, login, plan):
    second = _rated_note(cast, _days_ago(1), "no_change", "Busy fictional week.")
    first = _rated_note(cast, _days_ago(2), "progressing", "Tried worry time twice.")
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/").content.decode()
    block = page.split(f'data-objective-key="{_keys(cast)[0]}"')[1]
    block = block.split('data-objective-key="')[0]
    assert f"/notes/{first.pk}/" in block and f"/notes/{second.pk}/" in block
    assert block.index(f"/notes/{first.pk}/") < block.index(f"/notes/{second.pk}/")
    assert "Tried worry time twice." in block and "No change" in block
    other = page.split(f'data-objective-key="{_keys(cast)[1]}"')[1]
    assert "No signed progress note has addressed it yet." in other


def test_the_note_editor_offers_each_open_objective(cast, login, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    page = login(cast.alice).get(f"/notes/{note.pk}/edit/").content.decode()
    for key in _keys(cast):
        assert f'name="objective_rating_{key}"' in page
    assert 'name="objectives_shown"' in page and 'name="no_objective_reason"' in page


def test_the_note_editor_form_saves_ratings(cast, login, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    key = _keys(cast)[1]
    response = login(cast.alice).post(
        f"/notes/{note.pk}/edit/",
        {
            "objectives_shown": "1",
            f"objective_rating_{_keys(cast)[0]}": "",
            f"objective_rating_{key}": "regressing",
            f"objective_comment_{key}": "Set back.",
        },
    )
    assert response.status_code == 302
    entries = ProgressNote.objects.get(pk=note.pk).content()["objectives"]
    assert [(e["objective_key"], e["rating"], e["comment"]) for e in entries] == [
        (key, "regressing", "Set back.")
    ]


def test_a_comment_without_a_rating_is_refused(cast, login, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    key = _keys(cast)[0]
    response = login(cast.alice).post(
        f"/notes/{note.pk}/edit/",
        {
            "objectives_shown": "1",
            f"objective_rating_{key}": "",
            f"objective_comment_{key}": "Talked about it.",
        },
    )
    assert response.status_code == 400
    assert "Choose how the client progressed" in response.content.decode()


def test_the_sign_page_asks_for_the_reason(cast, login, plan):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    page = login(cast.alice).get(f"/notes/{note.pk}/sign/").content.decode()
    assert "No treatment-plan objective rated" in page
    refused = login(cast.alice).post(f"/notes/{note.pk}/sign/", {})
    assert refused.status_code == 400 and "addresses none of the objectives" in (
        refused.content.decode()
    )
    signed = login(cast.alice).post(
        f"/notes/{note.pk}/sign/", {"no_objective_reason": "Family emergency."}
    )
    assert signed.status_code == 302 and ProgressNote.objects.get(pk=note.pk).is_signed


def test_the_note_page_shows_the_objectives_addressed(cast, login, plan):
    note = _rated_note(cast, None, "progressing", "Fictional progress.")
    page = login(cast.alice).get(f"/notes/{note.pk}/").content.decode()
    assert "Treatment plan objectives" in page and "Fictional objective 1" in page
    assert "Progressing" in page and "Fictional progress." in page
