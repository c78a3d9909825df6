"""The shipped ICD-10-CM table (docs/clinical-sources.md#icd-10-cm) and the diagnosis
action that relies on it."""

import importlib.util
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from psynote.clients import actions, icd10

# ICD-10-CM shape: a letter (U is reserved), two characters, then up to four after a dot.
SHAPE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
# The scope icd10.py promises: billable F codes, Z55-Z65, Z69-Z73, Z76.5, Z91.5, R45,
# T74/T76 (always with a 7th character) and G47.
IN_SCOPE = re.compile(
    r"^(F\d\d|Z5[5-9]|Z6[0-5]|Z69|Z7[0-3]|Z76\.5|Z91\.5|R45|G47|T7[46]\.[0-9A][0-9X]X[ADS]$)"
)


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


# Codes therapists use beyond F (docs/clinical-sources.md#icd-10-cm), refused before.
BEYOND_F = {
    "Z69.010": "Encounter for mental health services for victim of parental child abuse",
    "T74.11XA": "Adult physical abuse, confirmed, initial encounter",
    "T76.11XA": "Adult physical abuse, suspected, initial encounter",
    "T74.4XXA": "Shaken infant syndrome, initial encounter",
    "Z71.89": "Other specified counseling",
    "Z76.5": "Malingerer [conscious simulation]",
    "G47.00": "Insomnia, unspecified",
    "Z63.0": "Problems in relationship with spouse or partner",
    "Z60.2": "Problems related to living alone",
    "Z62.820": "Parent-biological child conflict",
    "Z70.9": "Sex counseling, unspecified",
    "Z72.0": "Tobacco use",
    "Z73.3": "Stress, not elsewhere classified",
}


@pytest.mark.parametrize(("code", "description"), sorted(BEYOND_F.items()))
def test_the_codes_therapists_use_beyond_f_are_shipped(code, description):
    assert icd10.describe(code) == description


@pytest.mark.parametrize("code", ["T74.11XA", "t7411xa", "Z69.010", "z71.89", "Z76.5", "g4700"])
def test_the_diagnosis_action_accepts_codes_beyond_f(cast, code):
    diagnosis = actions.add_diagnosis(by=cast.alice, client=cast.client, code=code)
    assert diagnosis.code == icd10.normalise(code)
    assert diagnosis.description == icd10.describe(code)


@pytest.mark.parametrize(
    "code",
    [
        "T74.1",  # a subcategory: needs the 5th and 7th characters
        "T74.11",  # needs its 7th character (A, D or S)
        "T74.11X",  # placeholder without the 7th character
        "T76",  # a category
        "Z69",  # a category
        "Z69.0",  # a subcategory with billable children
        "Z69.01",
        "Z71",
        "G47",
        "G47.0",  # insomnia: G47.00-G47.09 are the billable codes
        "Z76",  # only Z76.5 (malingering) is in scope
        "Z76.0",  # issue of repeat prescription: out of scope
        "T74.11XZ",  # not a 7th character of T74
        "T75.1XXA",  # drowning: outside the scope
    ],
)
def test_non_billable_headers_and_neighbours_are_still_refused(cast, code):
    assert icd10.describe(code) is None
    with pytest.raises(ValidationError, match="not a billable code"):
        actions.add_diagnosis(by=cast.alice, client=cast.client, code=code)


def test_the_edition_note_says_when_a_newer_release_is_in_force():
    table_year = icd10.TABLE_FISCAL_YEAR
    # The table's own fiscal year runs from 1 October of the year before.
    assert icd10.fiscal_year_in_force(date(table_year - 1, 10, 1)) == table_year
    assert icd10.fiscal_year_in_force(date(table_year, 9, 30)) == table_year
    assert icd10.fiscal_year_in_force(date(table_year, 10, 1)) == table_year + 1
    current = icd10.edition_note(date(table_year, 9, 30))
    assert current == f"Codes from {icd10.EDITION}."
    stale = icd10.edition_note(date(table_year, 10, 1))
    assert stale.startswith(f"Codes from {icd10.EDITION}.")
    assert f"FY{table_year + 1} has been in force since 1 October {table_year}" in stale
    assert "not updated" in stale


def test_the_diagnosis_form_shows_the_edition_note(cast, login):
    browser = login(cast.alice)
    page = browser.get(f"/clients/{cast.client.pk}/diagnoses/").content.decode()
    assert 'id="icd-edition"' in page
    assert icd10.EDITION in page
    response = browser.post(f"/clients/{cast.client.pk}/diagnoses/", {"code": "t7411xa"})
    assert response.status_code == 302
    assert "T74.11XA" in [d.code for d in cast.client.diagnoses.all()]
    refused = browser.post(f"/clients/{cast.client.pk}/diagnoses/", {"code": "T74.1"})
    assert refused.status_code == 400
    assert "T74.1 is not a billable code" in refused.content.decode()


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
