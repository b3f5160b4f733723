"""Forms of the staff workspace's case actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from medborg.processes.models import Step


class MoveForm(forms.Form):
    step = forms.ModelChoiceField(queryset=Step.objects.none(), label=_("Move to step"))
    public_message = forms.CharField(
        label=_("Message to the citizen (optional)"),
        help_text=_("Shown on the citizen's tracking page. Write no personal data."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = case.process.steps.exclude(pk=case.step_id)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        help_text=_("Seen by staff only."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    assign = forms.ChoiceField(
        choices=[("me", _("Assign to me")), ("nobody", _("Unassign"))]
    )
