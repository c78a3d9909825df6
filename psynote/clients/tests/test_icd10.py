"""The shipped ICD-10-CM table (docs/clinical-sources.md#icd-10-cm) and the diagnosis
action that relies on it."""

import importlib.util
import re

import pytest
from django.core.exceptions import ValidationError

from psynote.clients import actions, icd10

# ICD-10-CM shape: a letter (U is reserved), two characters, then up to four after a dot.
SHAPE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
# The scope icd10.py promises: billable F codes, Z55-Z65, Z91.5 and R45.
IN_SCOPE = re.compile(r"^(F\d\d|Z5[5-9]|Z6[0-5]|Z91\.5|R45)")


def test_every_shipped_code_has_the_icd_10_cm_shape_and_a_description():
    table = icd10.codes()
    assert len(table) > 500
    for code, description in table.items():
        assert SHAPE.match(code), code
        assert IN_SCOPE.match(code), code
        assert description.strip(), code


@pytest.mark.parametrize(
    "code",
    [
        "F32.A",
        "F41.1",
        "F43.10",
        "F43.81",
        "R45.851",
        "Z91.51",
        "F32.0",
        "F32.9",
        "F43.23",
        "Z91.52",
    ],
)
def test_the_common_codes_of_domain_md_are_shipped(code):
    assert icd10.describe(code)


@pytest.mark.parametrize(
    "code",
    [
        "F32",  # a category: not billable by itself
        "F43.1",  # a subcategory with billable children
        "A00.0",  # cholera: outside the mental-health scope
        "Z00.00",  # general examination: outside the scope
        "",
        "banana",
        "F99.99.9",
        "1234",
    ],
)
def test_non_billable_out_of_scope_and_garbage_codes_are_not_described(code):
    assert icd10.describe(code) is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("f411", "F41.1"),
        (" F41.1 ", "F41.1"),
        ("f32a", "F32.A"),
        ("r45851", "R45.851"),
        ("F 43 10", "F43.10"),
        ("f32", "F32"),
    ],
)
def test_normalise_accepts_what_people_type(raw, normal):
    assert icd10.normalise(raw) == normal


def test_search_finds_by_code_prefix_and_by_words():
    assert ("F41.1", icd10.describe("F41.1")) in icd10.search("f41")
    assert any(code == "F41.1" for code, _ in icd10.search("generalized anxiety"))
    assert icd10.search("   ") == []
    assert len(icd10.search("f", limit=5)) == 5


def test_the_diagnosis_action_normalises_a_typed_code(cast):
    diagnosis = actions.add_diagnosis(by=cast.alice, client=cast.client, code="f4310")
    assert diagnosis.code == "F43.10"
    assert diagnosis.description == icd10.describe("F43.10")


@pytest.mark.parametrize("code", ["F32", "A00.0", "nonsense", ""])
def test_the_diagnosis_action_refuses_codes_outside_the_table(cast, code):
    with pytest.raises(ValidationError, match="not a billable code"):
        actions.add_diagnosis(by=cast.alice, client=cast.client, code=code)


def test_every_shipped_code_is_billable_in_simple_icd_10_cm():
    # The table is generated from simple-icd-10-cm (scripts/make_icd_table.py); it is a
    # dev dependency, so this cross-check runs wherever the tests do. Without it, the
    # shape test above still holds the line.
    if importlib.util.find_spec("simple_icd_10_cm") is None:
        assert all(SHAPE.match(code) for code in icd10.codes())
        return
    import simple_icd_10_cm as cm

    for code in icd10.codes():
        assert cm.is_valid_item(code), code
        assert cm.is_leaf(code), f"{code} is not billable (it has children)"
    assert not cm.is_leaf("F32")
