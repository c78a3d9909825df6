"""Forms of the sign-in, account and admin's user pages. They only validate (none of
them checks a password against the database); views and accounts.actions do the rest."""

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from psynote.accounts.actions import PROFILE_FIELDS
from psynote.accounts.models import ALWAYS_MFA_ROLES, PRACTICE_ROLES, Practice, Role, User

RULES_HELP = ("At least 12 characters, not a common password, not all digits, not like "
                  "the user's name.")


class UserForm(forms.ModelForm):
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=RULES_HELP + " The user must change it at their first sign-in.",
    )
    password2 = forms.CharField(
        label="Password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ("username", *PROFILE_FIELDS)
        labels = {
            "is_active": "Active (can log in)",
            "licence_number": "Licence number",
            "licence_state": "Licence state",
        }
        help_texts = {
            "username": "Letters, digits and @ . + - _ only; cannot be changed later.",
            "is_active": "Untick to deactivate. Users are never deleted, so their "
            "notes keep their author.",
        }

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        if self.editing:
            self.fields["username"].disabled = True
            self.fields["password1"].label = "New password"
            self.fields["password1"].help_text = (
                "Leave empty to keep the current password. " + self.fields["password1"].help_text
            )
        else:
            self.fields["password1"].required = True
            self.fields["password2"].required = True
        self.fields["credentials"].help_text = "As signed on notes, e.g. “PhD, LP” or “LCSW”."
        # A practice's users: never the installation's operator (ADR 0017).
        self.fields["role"].choices = [(r.value, r.label) for r in PRACTICE_ROLES]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password1 = data.get("password1") or ""
        password2 = data.get("password2") or ""
        if password1 or password2:
            if password1 != password2:
                self.add_error("password2", "The two passwords do not match.")
            else:
                # Compare against the names being saved, not the ones stored now.
                probe = User(
                    username=data.get("username") or self.instance.username,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    email=data.get("email", ""),
                )
                try:
                    validate_password(password1, probe)
                except ValidationError as error:
                    self.add_error("password1", error)
        return data

    def profile(self) -> dict[str, Any]:
        """The fields to hand to the action: all of them for a new user, else what changed."""
        names = (
            PROFILE_FIELDS
            if not self.editing
            else [name for name in PROFILE_FIELDS if name in self.changed_data]
        )
        return {name: self.cleaned_data[name] for name in names}


class LoginForm(forms.Form):
    """Only carries what was typed: the view authenticates, and only when not throttled
    (Django's AuthenticationForm authenticates as soon as its errors are looked at)."""

    username = forms.CharField(max_length=150, required=False)
    password = forms.CharField(strip=False, required=False, widget=forms.PasswordInput)


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        label="Code",
        help_text="The six digits your authenticator app shows now, or one of your "
        "recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        max_length=10,
        label="Code from the app",
        help_text="The six digits it shows for Psynote now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


class PasswordAgainForm(forms.Form):
    """Re-enter the password before something a stolen session must not do alone."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(PasswordAgainForm):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What it is for, e.g. “reporting script on my laptop”.",
    )
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="It can read through the API, and change nothing.",
    )
    field_order = ("name", "read_only", "password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = "Asked again before a token is made."


class MfaPolicyForm(forms.Form):
    roles = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Also require it for",
        choices=[(value, label) for value, label in Role.choices
                 if value not in ALWAYS_MFA_ROLES],
        help_text="Practice admins and privacy officers always sign in with two factors.",
    )


class PracticeDetailsForm(forms.ModelForm):
    class Meta:
        model = Practice
        fields = ["name", "npi", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"address": "As it should appear to providers who receive a record."}
