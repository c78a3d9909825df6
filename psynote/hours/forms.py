"""Forms of the hour-log pages. `hours.actions` stays the authority; its errors land here."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from psynote.hours.actions import MAX_NOTES, MAX_TARGET_HOURS
from psynote.hours.models import MAX_MINUTES, Category, Entry, LicenceType
from psynote.lib.forms import IsoDateInput, PlainLabels


class EntryForm(PlainLabels, forms.Form):
    date = forms.DateField(widget=IsoDateInput())
    minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=1, max_value=MAX_MINUTES,
        error_messages={"min_value": "The duration is at least 1 minute.",
                        "max_value": f"The duration is at most {MAX_MINUTES} minutes (12 hours)."})
    category = forms.ModelChoiceField(queryset=Category.objects.none(), empty_label=None)
    format = forms.ChoiceField(choices=Entry.Format.choices)
    supervisor = forms.TypedChoiceField(coerce=int, choices=())
    notes = forms.CharField(
        label="Meeting notes (optional)", required=False, max_length=MAX_NOTES,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Yours and your supervisor's only, stored encrypted; never part of a client's "
        "record. Do not name clients here.")

    def __init__(self, *args: Any, supervisors: list, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].choices = [(s.pk, s.signature_name) for s in supervisors]
        self.fields["category"].queryset = categories
        self._supervisors = {s.pk: s for s in supervisors}

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return day

    def supervisor_user(self) -> Any:
        return self._supervisors.get(self.cleaned_data["supervisor"])


class PeriodForm(PlainLabels, forms.Form):
    start = forms.DateField(widget=IsoDateInput())
    end = forms.DateField(widget=IsoDateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The period's first day comes before its last day.")
        return data


def default_period() -> tuple[date, date]:
    today = timezone.localdate()
    return date(today.year, 1, 1), today


def period_from(data: Any) -> tuple[PeriodForm, date, date]:
    """The period asked for in the query string, or this year so far (a bad one: the
    form's errors, and this year so far)."""
    start, end = default_period()
    if "start" not in data and "end" not in data:
        return PeriodForm(initial={"start": start, "end": end}), start, end
    form = PeriodForm(data)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end


class TargetsForm(PlainLabels, forms.Form):
    licence_type = forms.ModelChoiceField(queryset=LicenceType.objects.none(), empty_label=None,
                                          label="Licence")

    def __init__(self, *args: Any, practice_id: int, categories: list[Category],
                 targets: dict[int, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence_type"].queryset = LicenceType.objects.filter(practice_id=practice_id)
        self.categories = categories
        for category in categories:
            self.fields[f"target_{category.pk}"] = forms.DecimalField(
                label=f"{category.name} (hours)", required=False, min_value=0,
                max_value=MAX_TARGET_HOURS, decimal_places=1, max_digits=7,
                initial=targets.get(category.pk))

    def targets(self) -> dict[int, Decimal | None]:
        return {c.pk: self.cleaned_data.get(f"target_{c.pk}") for c in self.categories}


class LicenceTypeForm(PlainLabels, forms.Form):
    name = forms.CharField(max_length=100, label="New licence type",
                           help_text="E.g. “LPC, Minnesota”. It starts with the four default "
                           "categories, which you can rename, retire or add to.")


class CategoryForm(PlainLabels, forms.Form):
    category_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=100)
    active = forms.BooleanField(required=False, initial=True)


class VerifyForm(PlainLabels, forms.Form):
    package = forms.FileField(label="Report package (.zip)")
