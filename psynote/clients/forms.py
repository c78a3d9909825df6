"""Forms for the client pages. They check input for the page; the actions in
`clients.actions` stay the authority and their errors are shown on the same form."""

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet

from psynote.clients import icd10
from psynote.clients.actions import DEMOGRAPHIC_FIELDS
from psynote.clients.emergency import COMMENT_MAX, REASON_MAX
from psynote.clients.models import CareTeamMember, Client, Diagnosis, EmergencyAccess
from psynote.lib.forms import IsoDateInput, PlainLabels

DATE_INPUT = IsoDateInput()


class ClientForm(PlainLabels, forms.ModelForm):
    """Demographics. Editing adds `status` (active / discharged)."""

    class Meta:
        model = Client
        fields = [name for name in DEMOGRAPHIC_FIELDS if name != "status"]
        widgets = {
            "date_of_birth": DATE_INPUT,
            "address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"sex_assigned_at_birth": "Sex assigned at birth"}

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        if born > date.today():
            raise forms.ValidationError("The date of birth is in the future.")
        return born


class ClientEditForm(ClientForm):
    class Meta(ClientForm.Meta):
        fields = list(DEMOGRAPHIC_FIELDS)


class NewClientForm(ClientForm):
    """A new client; admin and front desk also choose the primary clinician."""

    def __init__(self, *args: Any, clinicians: QuerySet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clinicians is not None:
            self.fields["primary_clinician"] = forms.ModelChoiceField(
                queryset=clinicians,
                label="Primary clinician",
                empty_label="Choose a clinician",
                help_text="The clinician who will see this client; you can add others later.",
            )

    def demographics(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CareTeamAddForm(PlainLabels, forms.Form):
    user = forms.ModelChoiceField(
        queryset=None,  # type: ignore[arg-type]
        label="Clinician",
        empty_label="Choose a clinician",
    )
    role = forms.ChoiceField(
        choices=CareTeamMember.Role.choices, initial=CareTeamMember.Role.MEMBER
    )

    def __init__(self, *args: Any, candidates: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates  # type: ignore[attr-defined]


class DiagnosisForm(PlainLabels, forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=10,
        help_text="Type a code or words (e.g. “F41.1” or “anxiety”) and pick from the list.",
        widget=forms.TextInput(
            attrs={"list": "icd-options", "autocomplete": "off", "data-icd-search": "1"}
        ),
    )
    is_primary = forms.BooleanField(label="Primary diagnosis", required=False)
    onset_date = forms.DateField(label="Onset date", required=False, widget=DATE_INPUT)

    def edition_note(self) -> str:
        return icd10.edition_note()

    def clean_code(self) -> str:
        code = icd10.normalise(self.cleaned_data["code"])
        if icd10.describe(code) is None:
            raise forms.ValidationError(
                f"{code} is not a billable code in the shipped table ({icd10.EDITION}: "
                f"{icd10.SCOPE}). Pick a code from the list."
            )
        return code

    def clean_onset_date(self) -> date | None:
        onset = self.cleaned_data["onset_date"]
        if onset and onset > date.today():
            raise forms.ValidationError("The onset date is in the future.")
        return onset


class DiagnosisStatusForm(PlainLabels, forms.Form):
    status = forms.ChoiceField(choices=Diagnosis.Status.choices)


class EmergencyAccessForm(PlainLabels, forms.Form):
    """Breaking the glass: the reason, and a tick that the user knows what follows."""

    reason = forms.CharField(
        label="Reason for emergency access",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the emergency is and why you need this chart now. The privacy "
                  "officer and the client's clinician read it.",
    )
    understood = forms.BooleanField(
        label="I understand that this access is recorded page by page, shown to the "
              "client's clinician and reviewed by the privacy officer.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) > REASON_MAX:
            raise forms.ValidationError(
                f"Keep the reason to {REASON_MAX} characters ({len(reason)} now).")
        return reason


class EmergencyReviewForm(PlainLabels, forms.Form):
    review = forms.ChoiceField(label="Finding", widget=forms.RadioSelect,
                               choices=EmergencyAccess.Review.choices)
    comment = forms.CharField(
        label="Comment", required=False, max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the use was not appropriate.")
