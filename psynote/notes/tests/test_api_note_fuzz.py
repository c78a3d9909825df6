"""PATCH /notes/{id} under arbitrary JSON: a draft is either saved whole or left exactly as
it was, and never answers with a server error."""

import json

from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.notes.models import ProgressNote
from psynote.notes.templates import INTERVENTION_KEYS, MSE_FIELDS, RISK_TEXT_FIELDS

KEYS = [
    "sections",
    "mse",
    "risk",
    "interventions",
    "interventions_other",
    "diagnosis_codes",
    "subjective",
    "flagged",
    "si",
    "level",
    "mood",
    "F41.1",
    "psychoeducation",
    "x",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["none", "active", "high", "F41.1", "psychoeducation", ""])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
plausible = st.fixed_dictionaries(
    {},
    optional={
        "sections": st.dictionaries(
            st.sampled_from(["subjective", "plan", "data"]), st.text(max_size=40), max_size=2
        ),
        "mse": st.dictionaries(
            st.sampled_from([k for k, _ in MSE_FIELDS] + ["nope"]), st.text(max_size=20), max_size=3
        ),
        "risk": st.dictionaries(
            st.sampled_from(
                ["flagged", "si", "hi", "level", "x"] + [k for k, _ in RISK_TEXT_FIELDS]
            ),
            scalars,
            max_size=3,
        ),
        "interventions": st.lists(
            st.sampled_from(sorted(INTERVENTION_KEYS) + ["hypnosis"]), max_size=3
        ),
        "diagnosis_codes": st.lists(st.sampled_from(["F41.1", "F99.9"]), max_size=2),
    },
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=plausible | st.dictionaries(st.sampled_from(KEYS), values, max_size=4) | values)
def test_patch_note_saves_whole_or_changes_nothing(cast, body):
    note = ProgressNote.objects.filter(author=cast.alice).first()
    if note is None:
        note = t.make_note(t.make_session(cast.client, cast.alice))
    before = ProgressNote.objects.get(pk=note.pk)
    _, token = ApiToken.issue(user=cast.alice, name="fuzz")
    response = HttpClient(headers={"Authorization": f"Bearer {token}"}).patch(
        f"/api/v1/notes/{note.pk}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (200, 400), response.content
    after = ProgressNote.objects.get(pk=note.pk)
    if response.status_code == 400:
        assert response.json()["errors"]
        assert bytes(after.content_ct) == bytes(before.content_ct)
        assert after.updated_at == before.updated_at
    else:
        content = after.content()
        assert set(content["sections"]) == {"subjective", "objective", "assessment", "plan"}
        assert all(isinstance(v, str) for v in content["mse"].values())
        assert set(content["interventions"]) <= INTERVENTION_KEYS
        assert set(content["diagnosis_codes"]) <= {"F41.1"}
