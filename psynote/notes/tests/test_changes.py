"""The two doors into a draft (editor form, API body) turn one edit into one `changes` dict."""

from django.http import QueryDict

from psynote.notes.changes import FIELDS, NoteChanges, changes_from_api, changes_from_form


def _post(data: dict[str, str | list[str]]) -> QueryDict:
    post = QueryDict(mutable=True)
    for name, value in data.items():
        post.setlist(name, value if isinstance(value, list) else [value])
    return post


FORM = {
    "section_subjective": "A fictional week of better sleep.",
    "mse_mood": "euthymic",
    "risk_flagged": ["0", "1"],  # the hidden twin, then the ticked box
    "risk_si": "passive",
    "risk_level": "",
    "interventions": ["", "homework_review"],
    "interventions_other": "Sleep hygiene handout",
    "diagnosis_codes": ["", "F41.1"],
    "objectives_shown": "1",
    "objective_rating_k1": "progressing",
    "objective_comment_k1": "Two nights of the diary.",
    "objective_rating_k2": "",
    "no_objective_reason": "",
}
BODY = {
    "sections": {"subjective": "A fictional week of better sleep."},
    "mse": {"mood": "euthymic"},
    "risk": {"flagged": True, "si": "passive", "level": ""},
    "interventions": ["homework_review"],
    "interventions_other": "Sleep hygiene handout",
    "diagnosis_codes": ["F41.1"],
    "objectives": [
        {"objective_key": "k1", "rating": "progressing", "comment": "Two nights of the diary."}
    ],
    "no_objective_reason": "",
}


def test_the_form_and_the_api_make_the_same_changes_from_the_same_edit():
    from_form, problems = changes_from_form(_post(FORM))
    assert problems == []
    assert from_form == changes_from_api(NoteChanges.model_validate(BODY)) == BODY
    assert set(from_form) == set(FIELDS)


def test_what_is_not_sent_is_not_changed_through_either_door():
    assert changes_from_form(_post({"section_plan": "Weekly."})) == (
        {"sections": {"plan": "Weekly."}},
        [],
    )
    assert changes_from_api(NoteChanges.model_validate({"risk": {"si": "none"}})) == {
        "risk": {"si": "none"}
    }
