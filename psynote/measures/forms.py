"""Forms of the measures pages. The questionnaire itself is not a Django form: its items
and options come from the instrument file (`views.answers_from_post`)."""

from functools import cache
from typing import Any

from django import forms
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from psynote.lib.forms import PlainLabels
from psynote.measures import actions
from psynote.measures.models import SELF_REPORT_LINK_DAYS, RiskAlert


class LinkForm(PlainLabels, forms.Form):
    days = forms.IntegerField(
        label="Link valid for (days)",
        min_value=1,
        max_value=actions.MAX_LINK_DAYS,
        initial=SELF_REPORT_LINK_DAYS,
    )


class ScheduleForm(PlainLabels, forms.Form):
    RHYTHMS = (
        ("interval", "Every N days"),
        ("session", "Before each session"),
        ("stop", "Stop the schedule"),
    )
    rhythm = forms.ChoiceField(label="When", choices=RHYTHMS, widget=forms.RadioSelect)
    every_n_days = forms.IntegerField(
        label="Every (days)",
        min_value=1,
        max_value=actions.MAX_SCHEDULE_DAYS,
        required=False,
        help_text="For example 14 for every two weeks.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("rhythm") == "interval" and not data.get("every_n_days"):
            self.add_error("every_n_days", "Give the number of days between administrations.")
        return data


class ResolveForm(PlainLabels, forms.Form):
    resolution = forms.ChoiceField(
        label="How was it resolved?", choices=RiskAlert.Resolution.choices
    )
    note = forms.CharField(
        label="Note",
        max_length=actions.MAX_RESOLUTION_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Short: what you did and the risk level you assessed.",
    )


def _render_fields(form: forms.Form) -> SafeString:
    template = get_template("accounts/_field.html")
    # The template escapes what it shows.
    return mark_safe("".join(template.render({"field": field}) for field in form))  # noqa: S308


@cache
def _blank_fields(
    form_class: type[forms.Form], initial: tuple[tuple[str, Any], ...], prefix: str | None
) -> SafeString:
    return _render_fields(form_class(initial=dict(initial), prefix=prefix))


def fields_html(form: forms.Form) -> SafeString:
    """The form's fields as every page lays them out (accounts/_field.html, one after the
    other). A blank form is laid out once per process: the measures page shows the same
    blank link and schedule forms to every client, on every view. Only for forms whose
    fields read nothing from the database (their choices are fixed in the code)."""
    if form.is_bound:
        return _render_fields(form)
    return _blank_fields(type(form), tuple(sorted(form.initial.items())), form.prefix)
