"""The draft editor, its autosave, and starting a note from a session."""

import pytest

from psynote import testing as t
from psynote.notes.models import ProgressNote


def _form(**overrides):
    """A whole editor form as the browser posts it (hidden twins included)."""
    data = {
        "section_subjective": "Client reports a fictional week of better sleep.",
        "section_objective": "Calm, engaged.",
        "section_assessment": "Progressing toward goal 1.",
        "section_plan": "Continue weekly; sleep diary.",
        "mse_mood": "euthymic",
        "mse_affect": "congruent",
        "risk_flagged": ["0", "1"],
        "risk_si": "passive",
        "risk_hi": "none",
        "risk_level": "low",
        "risk_protective_factors": "Fictional supportive sibling.",
        "interventions": ["", "cognitive_restructuring", "homework_review"],
        "interventions_other": "Sleep hygiene handout",
        "diagnosis_codes": ["", "F41.1"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(cast):
    session = t.make_session(cast.client, cast.alice)
    return t.make_note(session, sections={"subjective": "First words."})


def test_editor_shows_template_sections_prompts_mse_risk_and_cpt(cast, login, draft):
    response = login(cast.alice).get(f"/notes/{draft.pk}/edit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Subjective" in page and "The client&#x27;s report" in page
    assert "First words." in page
    assert 'name="mse_thought_process"' in page and "Judgment" in page
    assert "Risk concerns this session" in page and 'name="risk_si"' in page
    assert 'value="passive"' in page and 'name="risk_safety_plan"' in page
    assert 'name="interventions" value="exposure"' in page
    assert 'name="diagnosis_codes" value="F41.1"' in page
    assert f'data-autosave-url="/notes/{draft.pk}/autosave/"' in page
    assert 'class="autosave-status"' in page and "Save draft" in page
    assert "90834" in page and "50 min face-to-face" in page


def test_editor_shows_telehealth_place_of_service_and_modifier(cast, login):
    session = t.make_session(cast.client, cast.alice, modality="video", place="client_home")
    note = t.make_note(session)
    page = login(cast.alice).get(f"/notes/{note.pk}/edit/").content.decode()
    assert "Place of service 10" in page and "modifier 95" in page


def test_saving_the_draft_form_stores_every_block(cast, login, draft):
    response = login(cast.alice).post(f"/notes/{draft.pk}/edit/", _form())
    assert response.status_code == 302 and response.url == f"/notes/{draft.pk}/edit/"
    draft.refresh_from_db()
    content = ProgressNote.objects.get(pk=draft.pk).content()
    assert content["sections"]["plan"] == "Continue weekly; sleep diary."
    assert content["mse"]["mood"] == "euthymic"
    assert content["risk"]["flagged"] is True and content["risk"]["si"] == "passive"
    assert content["risk"]["protective_factors"] == "Fictional supportive sibling."
    assert content["interventions"] == ["cognitive_restructuring", "homework_review"]
    assert content["interventions_other"] == "Sleep hygiene handout"
    assert content["diagnosis_codes"] == ["F41.1"]
    assert ProgressNote.objects.get(pk=draft.pk).risk_flagged


def test_unticking_every_box_clears_the_lists(cast, login, draft):
    client = login(cast.alice)
    client.post(f"/notes/{draft.pk}/edit/", _form())
    client.post(
        f"/notes/{draft.pk}/edit/",
        _form(interventions=[""], diagnosis_codes=[""], risk_flagged=["0"], risk_si="none"),
    )
    content = ProgressNote.objects.get(pk=draft.pk).content()
    assert content["interventions"] == [] and content["diagnosis_codes"] == []
    assert content["risk"]["flagged"] is False


def test_save_and_review_goes_to_the_sign_page(cast, login, draft):
    response = login(cast.alice).post(f"/notes/{draft.pk}/edit/", _form(then="sign"))
    assert response.status_code == 302 and response.url == f"/notes/{draft.pk}/sign/"


@pytest.mark.parametrize(
    "bad",
    [
        {"risk_si": "maybe"},
        {"risk_level": "extreme"},
        {"risk_flagged": "perhaps"},
        {"interventions": ["hypnosis"]},
        {"diagnosis_codes": ["F32.1"]},
        {"section_not_in_soap": "x"},
        {"mse_aura": "x"},
        {"section_plan": "x" * 50_001},
    ],
)
def test_bad_editor_input_is_refused_whole_with_400(cast, login, draft, bad):
    before = ProgressNote.objects.get(pk=draft.pk).content_ct
    response = login(cast.alice).post(f"/notes/{draft.pk}/edit/", _form(**bad))
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert bytes(ProgressNote.objects.get(pk=draft.pk).content_ct) == bytes(before)


def test_refused_form_shows_what_was_typed(cast, login, draft):
    response = login(cast.alice).post(
        f"/notes/{draft.pk}/edit/", _form(section_plan="Typed but refused", risk_si="maybe")
    )
    page = response.content.decode()
    assert "Typed but refused" in page and "risk.si must be one of" in page


def test_autosave_saves_and_answers_with_the_time(cast, login, draft):
    response = login(cast.alice).post(
        f"/notes/{draft.pk}/autosave/", {"section_objective": "Autosaved words."}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and len(data["saved_at"]) == 8 and data["saved_at"][2] == ":"
    content = ProgressNote.objects.get(pk=draft.pk).content()
    assert content["sections"]["objective"] == "Autosaved words."
    assert content["sections"]["subjective"] == "First words."  # untouched fields stay


def test_autosave_of_bad_input_is_400_and_changes_nothing(cast, login, draft):
    before = bytes(ProgressNote.objects.get(pk=draft.pk).content_ct)
    response = login(cast.alice).post(
        f"/notes/{draft.pk}/autosave/", {"section_plan": "new", "risk_hi": "sometimes"}
    )
    assert response.status_code == 400 and "risk.hi" in response.json()["error"]
    assert bytes(ProgressNote.objects.get(pk=draft.pk).content_ct) == before


def test_autosave_refuses_get(cast, login, draft):
    assert login(cast.alice).get(f"/notes/{draft.pk}/autosave/").status_code == 405


def test_signed_note_edit_page_redirects_to_the_note_with_a_message(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    response = login(cast.alice).get(f"/notes/{note.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/notes/{note.pk}/"
    assert "This note is signed and locked; add an addendum" in response.content.decode()


def test_posting_to_a_signed_note_changes_nothing(cast, login):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    before = (bytes(note.content_ct), note.content_hash)
    client = login(cast.alice)
    response = client.post(f"/notes/{note.pk}/edit/", _form(section_plan="Rewritten"))
    assert response.status_code == 302 and response.url == f"/notes/{note.pk}/"
    autosave = client.post(f"/notes/{note.pk}/autosave/", {"section_plan": "Rewritten"})
    assert autosave.status_code == 409 and "signed" in autosave.json()["error"]
    note = ProgressNote.objects.get(pk=note.pk)
    assert (bytes(note.content_ct), note.content_hash) == before


@pytest.mark.parametrize("who", ["bob", "sam", "ada", "fred", "pria"])
def test_only_the_author_may_open_or_autosave_a_draft(cast, login, who):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    client = login(getattr(cast, who))
    assert client.get(f"/notes/{note.pk}/edit/").status_code == 404
    assert client.post(f"/notes/{note.pk}/autosave/", {"section_plan": "x"}).status_code == 404
    assert client.post(f"/notes/{note.pk}/edit/", _form()).status_code == 404
    assert ProgressNote.objects.get(pk=note.pk).content()["sections"]["plan"] == t.SOAP["plan"]


def test_starting_a_note_from_a_session_opens_the_editor(cast, login):
    session = t.make_session(cast.client, cast.alice)
    client = login(cast.alice)
    page = client.get(f"/sessions/{session.pk}/note/")
    assert page.status_code == 200 and "BIRP" in page.content.decode()
    response = client.post(f"/sessions/{session.pk}/note/", {"template": "birp"})
    note = ProgressNote.objects.get(session=session)
    assert response.status_code == 302 and response.url == f"/notes/{note.pk}/edit/"
    assert note.template == "birp" and note.author == cast.alice


def test_starting_a_note_with_an_unknown_template_is_refused(cast, login):
    session = t.make_session(cast.client, cast.alice)
    response = login(cast.alice).post(f"/sessions/{session.pk}/note/", {"template": "xyz"})
    assert response.status_code == 400 and "unknown template" in response.content.decode()
    assert not ProgressNote.objects.filter(session=session).exists()


def test_a_second_note_for_a_session_is_refused_and_points_to_the_first(cast, login):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session)
    response = login(cast.alice).post(f"/sessions/{session.pk}/note/", {"template": "dap"})
    assert response.status_code == 400
    assert f"/notes/{note.pk}/" in response.content.decode()
    assert ProgressNote.objects.filter(session=session).count() == 1


@pytest.mark.parametrize("who", ["bob", "sam", "ada", "fred", "pria"])
def test_only_the_care_team_may_start_a_note(cast, login, who):
    session = t.make_session(cast.supervisee_client, cast.sue)
    response = login(getattr(cast, who)).post(f"/sessions/{session.pk}/note/", {"template": "soap"})
    assert response.status_code == 404
    assert not ProgressNote.objects.filter(session=session).exists()
