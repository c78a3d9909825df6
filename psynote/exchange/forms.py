"""Forms for authorizations and disclosures. They check input for the page; the actions
and the gate stay the authority, and their refusals are shown on the same form."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from psynote.exchange.bases import EXCEPTION_CHOICES, RecordKind
from psynote.exchange.models import Authorization, Disclosure
from psynote.lib.forms import IsoDateInput, PlainLabels

DATE_INPUT = IsoDateInput()
SCOPE_HELP = (
    "Psychotherapy notes need their own authorization: one that names "
    "psychotherapy notes and nothing else."
)


class AuthorizationForm(PlainLabels, forms.Form):
    recipient_name = forms.CharField(label="Recipient (person)", max_length=200)
    recipient_organisation = forms.CharField(label="Organisation", max_length=200, required=False)
    recipient_contact = forms.CharField(
        label="Contact",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Address, phone or secure email, as on the signed form.",
    )
    scope = forms.MultipleChoiceField(
        label="What may be disclosed",
        choices=RecordKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=SCOPE_HELP,
    )
    date_from = forms.DateField(
        label="Records from",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave empty for the start of the record.",
    )
    date_to = forms.DateField(
        label="Records up to",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave empty for no end date.",
    )
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="As written on the authorization."
    )
    expires_on = forms.DateField(label="Expires on", widget=DATE_INPUT)
    signed_form = forms.FileField(
        label="Signed form",
        required=False,
        help_text="A PDF, PNG or JPEG of the signed authorization, up to 10 MB. It is stored "
        "encrypted.",
    )
    signed_on_screen_name = forms.CharField(
        label="Or: the client signs here by typing their full name",
        max_length=200,
        required=False,
        help_text="Hand the screen to the client. Date and time are recorded.",
    )


class RevokeForm(PlainLabels, forms.Form):
    reason = forms.CharField(
        label="Reason (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class Part2Form(PlainLabels, forms.Form):
    part2 = forms.BooleanField(
        label="This record contains substance-use-disorder records protected by 42 CFR Part 2",
        required=False,
    )


class DisclosureForm(PlainLabels, forms.Form):
    authorization = forms.ModelChoiceField(
        queryset=Authorization.objects.none(),
        required=False,
        label="Client's authorization",
        empty_label="None: disclose under an exception",
    )
    exception = forms.ChoiceField(
        choices=[("", "—")] + EXCEPTION_CHOICES,
        required=False,
        label="Or: exception",
        help_text="Only when there is no authorization. Say why it applies below.",
    )
    justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Justification for the exception",
    )
    recipient_name = forms.CharField(
        required=False,
        max_length=200,
        label="Recipient (for an exception)",
        help_text="With an authorization, its recipient is used.",
    )
    recipient_organisation = forms.CharField(
        required=False, max_length=200, label="Recipient's organisation"
    )
    recipient_contact = forms.CharField(
        required=False, label="Recipient's contact", widget=forms.Textarea(attrs={"rows": 2})
    )
    scope = forms.MultipleChoiceField(
        label="What to disclose",
        choices=RecordKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only what the recipient needs (minimum necessary). " + SCOPE_HELP,
    )
    date_from = forms.DateField(label="Records from", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="Records up to", required=False, widget=DATE_INPUT)
    purpose = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to use the authorization's purpose.",
    )
    format = forms.ChoiceField(choices=Disclosure.Format.choices, label="Format")

    def __init__(
        self, *args: Any, authorizations: QuerySet[Authorization], formats: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authorization"].queryset = authorizations
        self.fields["authorization"].label_from_instance = lambda a: (
            f"{a.recipient_display}: {a.scope_display} (until {a.expires_on:%Y-%m-%d})"
        )
        labels = dict(Disclosure.Format.choices)
        self.fields["format"].choices = [
            (value, label if value in formats else f"{label} (not available yet)")
            for value, label in labels.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("authorization") and data.get("exception"):
            self.add_error("exception", "Choose an authorization or an exception, not both.")
        elif not data.get("authorization") and not data.get("exception"):
            self.add_error("authorization", "Choose the client's authorization, or an exception.")
        return data
