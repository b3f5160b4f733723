"""The case worker's decision form on the staff case page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from medborg.cases.staff_forms import CaseActionForm


class DecideForm(CaseActionForm):
    prefix = "decide"

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason_text = forms.CharField(
        label=_("Reasons for the decision"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The citizen reads this as the explanation of the decision. Say what "
            "you decided on and why, in plain language."
        ),
    )
