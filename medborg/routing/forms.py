"""Forms of the routing pages: the day shown, planning a day, marking a stop."""

from django import forms
from django.utils.translation import gettext_lazy as _

from medborg.routing.models import Stop


class DayForm(forms.Form):
    """The day whose plan the operator looks at (``?date=``); today when absent."""

    date = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class PlanDayForm(forms.Form):
    date = forms.DateField(label=_("Day to plan"), widget=forms.HiddenInput)


class MarkStopForm(forms.Form):
    """Emptied, or skipped with one of ``Stop.SkipReason``.

    The page shows two forms per stop (an "Emptied" button and a reason with a
    "Skipped" button), both posting here; ``status`` says which was pressed.
    """

    status = forms.ChoiceField(
        choices=[
            (Stop.Status.EMPTIED, Stop.Status.EMPTIED.label),
            (Stop.Status.SKIPPED, Stop.Status.SKIPPED.label),
        ],
        widget=forms.HiddenInput,
    )
    skip_reason = forms.ChoiceField(
        label=_("Reason for skipping"),
        choices=[("", _("Choose a reason")), *Stop.SkipReason.choices],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Stop.Status.SKIPPED and not data.get("skip_reason"):
            self.add_error("skip_reason", _("Choose why the stop was skipped."))
        if data.get("status") == Stop.Status.EMPTIED:
            data["skip_reason"] = ""
        return data
