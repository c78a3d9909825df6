"""Putting an action's ValidationError onto a Django form, so the page shows it next to
the field it is about (or above the form) instead of failing with a 500."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class PlainLabels:
    """Form mixin: labels without Django's trailing colon, as on the rest of the app."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach `error` to `form`: per field when it names fields the form has, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class IsoDateInput(forms.DateInput):
    """A date typed as YYYY-MM-DD, the app's one date format. Not `type=date`: browsers
    show that in the user's locale (mm/dd/yyyy in US English), unlike every other date on
    the page, and the same field would read differently on two clinicians' screens."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={**ISO_DATE_ATTRS, **(attrs or {})}, format="%Y-%m-%d")


ISO_DATE_ATTRS = {
    "class": "date",
    "placeholder": "YYYY-MM-DD",
    "pattern": r"\d{4}-\d{2}-\d{2}",
    "title": "A date as YYYY-MM-DD",
    "maxlength": "10",
    "autocomplete": "off",
}
