"""Forms on the citizen's tracking page: an answer to staff, and satisfaction."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ReplyForm(forms.Form):
    prefix = "reply"

    text = forms.CharField(
        label=_("Your answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("At most 4,000 characters. The case goes back to the team."),
    )


class FeedbackForm(forms.Form):
    prefix = "feedback"

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how your case was handled?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 – Very satisfied")),
            (4, _("4 – Satisfied")),
            (3, _("3 – Neither")),
            (2, _("2 – Dissatisfied")),
            (1, _("1 – Very dissatisfied")),
        ],
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write no personal data. We read every comment."),
    )


class AppealForm(forms.Form):
    prefix = "appeal"

    text = forms.CharField(
        label=_("Why do you think the decision is wrong?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "At most 4,000 characters. Say what you want changed and why. A case "
            "worker reviews the decision and answers you here."
        ),
    )
