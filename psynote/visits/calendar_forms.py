"""The calendar's forms. `visits.calendar_actions` stays the authority: its refusals
(dates out of range, a series too long, a double booking) land on these forms."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from psynote.lib.forms import IsoDateInput, PlainLabels
from psynote.visits import cpt, recurrence
from psynote.visits.models import Session

DATE = IsoDateInput()
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CONFIRM_HELP = "Tick to keep a booking that overlaps another of the clinician's sessions."


class AppointmentForm(PlainLabels, forms.Form):
    date = forms.DateField(widget=DATE, label="First session")
    start_time = forms.TimeField(widget=TIME)
    end_time = forms.TimeField(widget=TIME, label="Stop time")
    service = forms.ChoiceField(choices=cpt.SERVICES, initial=cpt.PSYCHOTHERAPY)
    modality = forms.ChoiceField(choices=Session.Modality.choices)
    place = forms.ChoiceField(choices=Session.Place.choices, label="Where the client will be")
    repeat = forms.ChoiceField(choices=recurrence.Repeat.choices, initial=recurrence.Repeat.NONE)
    count = forms.IntegerField(
        required=False, label="Number of sessions", min_value=1,
        max_value=recurrence.MAX_OCCURRENCES,
        help_text=f"For a repeating appointment: how many sessions (at most "
        f"{recurrence.MAX_OCCURRENCES}), or leave empty and give the last date.")
    until = forms.DateField(widget=DATE, required=False, label="Last date",
                            help_text="Or: the series ends on this date.")
    allow_double_booking = forms.BooleanField(required=False, label="Book anyway",
                                              help_text=CONFIRM_HELP)

    def __init__(self, *args: Any, clinicians: QuerySet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clinicians is not None:
            self.fields["clinician"] = forms.ModelChoiceField(
                queryset=clinicians, label="Clinician", empty_label="Choose a clinician",
                help_text="Clinicians on this client's care team.")
            self.order_fields(["clinician"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("modality") == Session.Modality.IN_PERSON
                and data.get("place") == Session.Place.CLIENT_HOME):
            self.add_error("place", "“Client at home” is for telehealth; for an in-person "
                                    "session choose Office or Other.")
        return data

    def booking(self) -> dict[str, Any]:
        data = self.cleaned_data
        repeating = data["repeat"] != recurrence.Repeat.NONE
        return {
            "first": data["date"], "start_time": data["start_time"],
            "end_time": data["end_time"], "service": data["service"],
            "modality": data["modality"], "place": data["place"], "repeat": data["repeat"],
            "count": data["count"] if repeating else None,
            "until": data["until"] if repeating else None,
            "allow_double_booking": data["allow_double_booking"],
        }


class RescheduleForm(PlainLabels, forms.Form):
    date = forms.DateField(widget=DATE, label="New date")
    start_time = forms.TimeField(widget=TIME)
    end_time = forms.TimeField(widget=TIME, label="Stop time")
    allow_double_booking = forms.BooleanField(required=False, label="Book anyway",
                                              help_text=CONFIRM_HELP)


class CancelForm(PlainLabels, forms.Form):
    reason = forms.ChoiceField(choices=Session.CancelReason.choices, label="Cancelled by",
                               widget=forms.RadioSelect)
    late = forms.BooleanField(
        required=False, label="Late cancellation",
        help_text="Cancelled within the practice's notice period.")
