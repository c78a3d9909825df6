from django import forms

from psynote.operators.actions import NAME_MAX


class PracticeForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, label="Practice name",
                           help_text="Unique in this installation.")
    admin_username = forms.CharField(
        max_length=150, label="First admin's username",
        help_text="Letters, digits and @ . + - _ only; cannot be changed later.")
    admin_email = forms.EmailField(label="First admin's email")
    admin_first_name = forms.CharField(max_length=150, required=False,
                                       label="First admin's first name")
    admin_last_name = forms.CharField(max_length=150, required=False,
                                      label="First admin's last name")
