"""Forms of the staff workspace: the inbox filters and the case actions.

Every action form carries the case's ``state`` as the actor saw it, so an
action on a case that moved meanwhile is refused with a message instead of
being applied to a case the actor has not seen.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from medborg.accounts.models import Team
from medborg.cases.inbox import SORTS, Selection
from medborg.cases.models import Attachment
from medborg.cases.services.workflow import MAX_EXTENSION_DAYS
from medborg.processes.models import Step

PUBLIC_HINT = _("Shown on the citizen's tracking page. Write no personal data.")


def _text(label, *, required=True, max_length=2000, help_text="", rows=3):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _offer_steps(field, steps, *, blank):
    """Offer exactly ``steps`` (already read, in process order) in ``field``."""
    field.queryset = Step.objects.filter(pk__in=[step.pk for step in steps])
    choices = [(step.pk, step.name) for step in steps]
    field.choices = [("", "---------"), *choices] if blank else choices


class InboxFilterForm(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False)
    step = forms.ChoiceField(label=_("Step"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("overdue", _("Overdue")),
            ("soon", _("Due soon")),
            ("within", _("Due within the days below")),
        ],
    )
    within_days = forms.IntegerField(
        label=_("Due within (working days)"), required=False, min_value=0, max_value=260
    )
    q = forms.CharField(
        label=_("Reference or address"), required=False, max_length=100, strip=True
    )
    closed = forms.BooleanField(label=_("Include closed cases"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("due", _("Due date, soonest first")),
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
        ],
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.team_ids = [team.pk for team in choices["teams"]]
        self.fields["team"].choices = [("", _("All my teams"))] + [
            (team.pk, team.name) for team in choices["teams"]
        ]
        self.fields["service"].choices = [("", _("All services"))] + [
            (service.pk, service.name) for service in choices["services"]
        ]
        self.fields["step"].choices = [("", _("All steps"))] + list(
            choices["steps"].items()
        )
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("nobody", _("Nobody")),
        ] + [
            (str(user.pk), user.get_full_name() or user.username)
            for user in choices["colleagues"]
        ]

    def clean_q(self):
        return self.cleaned_data["q"].replace("\x00", "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("due") == "within" and cleaned.get("within_days") is None:
            self.add_error("within_days", _("Give the number of working days."))
        return cleaned

    def selection(self) -> Selection:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        team = data.get("team")
        return Selection(
            teams=(team,) if team else tuple(self.team_ids),
            service=data.get("service") or None,
            step=data.get("step", ""),
            assignee=data.get("assignee", ""),
            due=data.get("due", ""),
            within_days=data.get("within_days"),
            query=data.get("q", ""),
            include_closed=data.get("closed", False),
            sort=data.get("sort") if data.get("sort") in SORTS else "due",
        )


class CaseActionForm(forms.Form):
    state = forms.CharField(widget=forms.HiddenInput)


class MoveForm(CaseActionForm):
    prefix = "move"

    step = forms.ModelChoiceField(queryset=Step.objects.none(), label=_("Move to step"))
    public_message = _text(
        _("Message to the citizen (optional)"), required=False, help_text=PUBLIC_HINT
    )
    publish_message = forms.BooleanField(
        label=_("Also publish the message for everyone"),
        help_text=_(
            "It then appears in Open311 and the public API. Write no personal data."
        ),
        required=False,
    )

    def __init__(self, *args, steps, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_steps(self.fields["step"], steps, blank=True)


class PublishForm(CaseActionForm):
    prefix = "publish"

    public_description = _text(
        _("Published description"),
        required=False,
        max_length=4000,
        help_text=_(
            "Shown to everyone with the case. Rewrite the citizen's text without "
            "names, contact details or anything else personal. Empty: nothing."
        ),
    )
    media_public = forms.BooleanField(
        label=_("Publish the link to media sent with the case"), required=False
    )
    photos = forms.ModelMultipleChoiceField(
        queryset=Attachment.objects.none(),
        label=_("Published photos"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only photos that show no people, number plates or homes."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].queryset = case.attachments.all()
        self.fields["photos"].label_from_instance = lambda photo: (
            _("Photo %(number)s") % {"number": photo.position + 1}
        )
        if not case.media_url:
            del self.fields["media_public"]


class NoteForm(forms.Form):
    text = _text(
        _("Internal note"), max_length=4000, help_text=_("Seen by staff only.")
    )


class AssignForm(forms.Form):
    assign = forms.ChoiceField(label=_("Assign"), required=True)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign"].choices = [
            ("me", _("Assign to me")),
            ("nobody", _("Unassign")),
        ] + [
            (str(user.pk), user.get_full_name() or user.username) for user in colleagues
        ]


class RequestInformationForm(CaseActionForm):
    prefix = "info"

    question = _text(
        _("What do you need from the citizen?"),
        max_length=2000,
        help_text=_(
            "The citizen answers on the tracking page. The case's clock stops "
            "until they do."
        ),
    )


class ExtendForm(CaseActionForm):
    prefix = "extend"

    target = forms.ChoiceField(
        label=_("Deadline"),
        choices=[("step", _("This step")), ("case", _("The whole case"))],
    )
    days = forms.IntegerField(
        label=_("Extend by (working days)"), min_value=1, max_value=MAX_EXTENSION_DAYS
    )
    reason = _text(_("Reason, shown to the citizen"), help_text=PUBLIC_HINT)


class DuplicateForm(CaseActionForm):
    prefix = "duplicate"

    original = forms.CharField(
        label=_("Reference of the original case"), max_length=24, strip=True
    )
    public_message = _text(
        _("Message to the citizen (optional)"), required=False, help_text=PUBLIC_HINT
    )


class ReferForm(CaseActionForm):
    prefix = "refer"

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), label=_("To another team"), required=False
    )
    organisation = forms.CharField(
        label=_("Or out of the municipality, to"),
        required=False,
        max_length=200,
        help_text=_("For example Trafikverket. This closes the case here."),
    )
    public_message = _text(_("Explanation to the citizen"), help_text=PUBLIC_HINT)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.exclude(pk=case.team_id)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("team")) == bool(cleaned.get("organisation")):
            raise forms.ValidationError(_("Choose one: a team or an organisation."))
        return cleaned


class ReopenForm(CaseActionForm):
    prefix = "reopen"

    step = forms.ModelChoiceField(
        queryset=Step.objects.none(), label=_("Reopen in step")
    )
    reason = _text(_("Reason, shown to the citizen"), help_text=PUBLIC_HINT)

    def __init__(self, *args, steps, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_steps(self.fields["step"], steps, blank=False)
