"""Recovery keys people write down and type back (psynote.lib.recovery_key)."""

from hypothesis import given
from hypothesis import strategies as st

from psynote.lib import recovery_key


def test_a_new_key_is_six_groups_of_five_and_reads_back_as_itself():
    phrase = recovery_key.new()
    groups = phrase.split("-")
    assert [len(group) for group in groups] == [5] * 6
    assert set("".join(groups)) <= set(recovery_key.ALPHABET)
    assert recovery_key.normalize(phrase) == phrase


def test_new_keys_differ():
    assert len({recovery_key.new() for _ in range(200)}) == 200


def test_typing_is_forgiving_about_case_spaces_hyphens_and_look_alikes():
    phrase = "01ABC-DEFGH-JKMNP-QRSTV-WXYZ0-12345"
    typed = " oiabc defgh-jkmnp qrstv wxyzo  1 2 3 4 5 "
    assert recovery_key.normalize(typed) == phrase
    assert recovery_key.normalize(phrase.replace("1", "l")) == phrase


def test_what_cannot_be_a_recovery_key_is_none():
    for typed in ("", "short", "01ABC-DEFGH-JKMNP-QRSTV-WXYZ0-1234",  # 29 symbols
                  "01ABC-DEFGH-JKMNP-QRSTV-WXYZ0-12345-6", "U1ABC-DEFGH-JKMNP-QRSTV-WXYZ0-12345",
                  "x" * 1000, None, 12345):
        assert recovery_key.normalize(typed) is None  # type: ignore[arg-type]


@given(st.text(max_size=120))
def test_any_text_is_a_key_or_none_never_an_error(text):
    result = recovery_key.normalize(text)
    assert result is None or recovery_key.normalize(result) == result
