"""Serializers of the staff endpoints (keys with cases:work).

A case here is what the staff workspace shows: everything, except the
citizen's e-mail for users without ``cases.view_contact``.
"""

from django.utils.translation import gettext_lazy as _

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from medborg.api.serializers_cases import AnswersField
from medborg.cases.inbox import SORTS
from medborg.cases.lifecycle import Status
from medborg.cases.models import CaseEvent, Channel

NOTE_MAX_LENGTH = 4000
MESSAGE_MAX_LENGTH = 2000


class StepSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class WorkCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    state = serializers.SerializerMethodField(
        help_text=_("Send back as ``state`` with an action: refused if it changed.")
    )
    step = StepSerializer()
    team = serializers.CharField(source="team.slug")
    team_name = serializers.CharField(source="team.name")
    assignee = serializers.CharField(
        source="assignee.username", allow_null=True, default=None
    )
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    step_due_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True)
    on_hold_since = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    address = serializers.CharField()

    @extend_schema_field(serializers.CharField())
    def get_state(self, case):
        from medborg.cases.services import state_of

        return state_of(case)


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=CaseEvent.Kind.choices)
    actor = serializers.CharField(
        source="actor.username", allow_null=True, default=None
    )
    is_public = serializers.BooleanField(help_text=_("Shown to the citizen."))
    message = serializers.CharField()
    data = serializers.DictField()


class WorkCaseDetailSerializer(WorkCaseSerializer):
    answers = AnswersField()
    description = serializers.CharField()
    media_url = serializers.CharField()
    contact_email = serializers.SerializerMethodField(
        help_text=_("Null for users without the right to see contact details.")
    )
    duplicate_of = serializers.CharField(
        source="duplicate_of.reference", allow_null=True, default=None
    )
    allowed_steps = StepSerializer(
        many=True, help_text=_("The steps ``move`` may go to now.")
    )
    events = EventSerializer(many=True, source="events.all")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_contact_email(self, case):
        user = self.context["user"]
        return case.contact_email if user.has_perm("cases.view_contact") else None


class WorkFilterSerializer(serializers.Serializer):
    service = serializers.SlugField(required=False, max_length=50)
    step = serializers.SlugField(required=False, max_length=50)
    assignee = serializers.ChoiceField(
        choices=[("me", _("Me")), ("nobody", _("Nobody"))], required=False
    )
    closed = serializers.BooleanField(
        required=False, default=False, help_text=_("Include closed cases.")
    )
    sort = serializers.ChoiceField(choices=sorted(SORTS), default="due")


class MoveSerializer(serializers.Serializer):
    step = serializers.SlugField(max_length=50, help_text=_("The step's key."))
    public_message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        help_text=_("Shown to the citizen. Write no personal data."),
    )
    state = serializers.CharField(
        max_length=100, help_text=_("The case's ``state`` as you last read it.")
    )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text=_("Seen by staff only.")
    )


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        max_length=150,
        help_text=_("``me``, ``nobody``, or a colleague's username (team leads only)."),
    )
