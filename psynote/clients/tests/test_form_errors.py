"""psynote.lib.forms: an action's ValidationError lands on the form, never a 500."""

from django import forms
from django.core.exceptions import ValidationError

from psynote.lib.forms import PlainLabels, add_errors


class _Form(forms.Form):
    name = forms.CharField()


def test_error_naming_a_field_goes_next_to_that_field():
    form = _Form({"name": "x"})
    assert form.is_valid()
    add_errors(form, ValidationError({"name": "too short"}))
    assert form.errors == {"name": ["too short"]}


def test_error_naming_an_unknown_field_goes_above_the_form():
    form = _Form({"name": "x"})
    form.is_valid()
    add_errors(form, ValidationError({"status": "bad"}))
    assert form.non_field_errors() == ["bad"]


def test_plain_error_goes_above_the_form():
    form = _Form({"name": "x"})
    form.is_valid()
    add_errors(form, ValidationError(["one", "two"]))
    assert form.non_field_errors() == ["one", "two"]


class _Plain(PlainLabels, forms.Form):
    name = forms.CharField()


def test_plain_labels_have_no_trailing_colon():
    assert _Plain()["name"].label_tag() == '<label for="id_name">Name</label>'
