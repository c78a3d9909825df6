"""The session form. `visits.actions` stays the authority; its errors land on this form."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from psynote.lib.forms import IsoDateInput, PlainLabels
from psynote.visits.actions import FIELDS
from psynote.visits.models import Session, stop_time_problem

# Attendance that only makes sense once the session's date has come.
HAPPENED = {Session.Attendance.ATTENDED, Session.Attendance.NO_SHOW}


class SessionForm(PlainLabels, forms.ModelForm):
    class Meta:
        model = Session
        fields = list(FIELDS)
        widgets = {
            "date": IsoDateInput(),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "end_time": "Stop time",
            "place": "Where the client was",
            "interactive_complexity": "Interactive complexity (+90785)",
        }
        help_texts = {
            "start_time": "Face-to-face (or live video) time only; charting time does not count.",
            "end_time": "A stop time earlier than the start time means the next day "
            "(a session from 23:30 to 00:30 is 60 minutes).",
            "interactive_complexity": "Communication factors complicated the session, e.g. "
            "caregivers in conflict or an interpreter was needed.",
        }

    def __init__(self, *args: Any, clinicians: QuerySet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_time"].required = True
        if clinicians is not None:
            self.fields["clinician"] = forms.ModelChoiceField(
                queryset=clinicians,
                label="Clinician",
                empty_label="Choose a clinician",
                help_text="Clinicians on this client's care team.",
            )
            self.order_fields(["clinician"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        day, attendance = data.get("date"), data.get("attendance")
        if problem := stop_time_problem(start, end):
            self.add_error("end_time", problem)
        if day and attendance in HAPPENED and day > timezone.localdate():
            self.add_error(
                "attendance",
                f"A session on {day:%Y-%m-%d} has not happened yet: mark it scheduled.",
            )
        if attendance == Session.Attendance.ATTENDED and start and not end:
            self.add_error(
                "end_time",
                "Record the stop time of an attended session: the CPT "
                "code and the progress note need it.",
            )
        if (
            data.get("modality") == Session.Modality.IN_PERSON
            and data.get("place") == Session.Place.CLIENT_HOME
        ):
            self.add_error(
                "place",
                "“Client at home” is for telehealth; for an in-person "
                "session choose Office or Other.",
            )
        return data

    def session_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in FIELDS}
