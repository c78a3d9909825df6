"""Putting an action's ValidationError onto a Django form, so the page shows it next to
the field it is about (or above the form) instead of failing with a 500."""

from django import forms
from django.core.exceptions import ValidationError


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach `error` to `form`: per field when it names fields the form has, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
