"""Serializers of the keyed endpoints: creating a case, and the cases a client
application sent.

Creating a case only checks the shape of the request here; what the answers,
the place, the e-mail and the photos must be is checked by the citizen's own
web form (``cases.intake``), so both channels accept exactly the same cases.
"""

import json

from django.utils.translation import gettext_lazy as _

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from medborg.cases import intake
from medborg.cases.lifecycle import Status

SCALARS = (str, int, float, bool)
MAX_ANSWERS = 100
MAX_CHOICES = 100
MAX_KEY_LENGTH = 50
MAX_PHOTOS = 10

ANSWER_SCHEMA = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ]
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": ANSWER_SCHEMA,
        "description": str(
            _(
                "Answers by question key: a value, or a list of values for "
                "several choices. In multipart requests, a JSON object as text."
            )
        ),
    }
)
class AnswersField(serializers.Field):
    """An object of answers; in multipart form data, that object as JSON text."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                data = None
        if not isinstance(data, dict):
            raise invalid(
                _("Give the answers as an object keyed by question."), "not_object"
            )
        if len(data) > MAX_ANSWERS:
            raise invalid(
                _("Give at most %(count)s answers.") % {"count": MAX_ANSWERS},
                "too_many",
            )
        for key, value in data.items():
            if not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
                raise invalid(
                    _("A question key is text of at most %(length)s characters.")
                    % {"length": MAX_KEY_LENGTH},
                    "bad_key",
                )
            if not self._valid_value(value):
                raise invalid(
                    _(
                        "Give the answer to %(key)s as text, a number, true/false "
                        "or a list of texts."
                    )
                    % {"key": key},
                    "bad_value",
                )
        return data

    @staticmethod
    def _valid_value(value) -> bool:
        if isinstance(value, list):
            return len(value) <= MAX_CHOICES and all(
                isinstance(item, SCALARS) for item in value
            )
        return value is None or isinstance(value, SCALARS)

    def to_representation(self, value):
        return value


def invalid(message, code) -> serializers.ValidationError:
    return serializers.ValidationError(message, code=code)


class FormValue(serializers.Field):
    """One value handed to the web form as text, which checks it.

    Only its shape is checked here: a number or text, not an object, a list
    or true/false.
    """

    def to_internal_value(self, data):
        if data is None:
            return data
        if isinstance(data, bool) or not isinstance(data, SCALARS):
            raise invalid(_("Give a single number or text."), "not_scalar")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "number", "format": "double", "nullable": True})
class CoordinateField(FormValue):
    pass


@extend_schema_field({"type": "string"})
class TextField(FormValue):
    pass


class CaseCreateSerializer(serializers.Serializer):
    service = serializers.CharField(
        max_length=MAX_KEY_LENGTH, help_text=_("The service's code.")
    )
    answers = AnswersField(required=False)
    latitude = CoordinateField(required=False, help_text=_("WGS 84, e.g. 56.8777."))
    longitude = CoordinateField(required=False, help_text=_("WGS 84, e.g. 14.8091."))
    address = TextField(
        required=False, help_text=_("An address or a description of the place.")
    )
    contact_email = TextField(
        required=False,
        help_text=_(
            "The citizen's e-mail: the tracking link is mailed there. Optional."
        ),
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=intake.DESCRIPTION_MAX_LENGTH,
        trim_whitespace=True,
    )
    media_url = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=intake.MEDIA_URL_MAX_LENGTH,
        validators=[intake.media_url_validator],
        help_text=_("A link to media kept elsewhere; stored, never fetched."),
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=_("Multipart requests only: photos as JPEG, PNG, WebP or HEIC."),
    )


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    by = serializers.CharField(help_text=_("Staff name, if they chose to show it."))


class ClientCaseSerializer(serializers.Serializer):
    """What a client application sees of a case it sent: the citizen's view."""

    reference = serializers.CharField()
    service = serializers.CharField(source="service_code")
    service_name = serializers.CharField(source="service")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    is_open = serializers.BooleanField()
    step_key = serializers.CharField()
    step_name = serializers.CharField()
    step_description = serializers.CharField()
    team = serializers.CharField()
    handler = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    step_due_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    waiting_for_citizen = serializers.BooleanField(source="waiting_for_you")
    question = serializers.CharField(
        help_text=_("What staff asked, while the case waits for the citizen.")
    )
    duplicate_of = serializers.CharField(allow_null=True)
    answers = AnswersField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    address = serializers.CharField()
    description = serializers.CharField()
    media_url = serializers.CharField()


class ClientCaseDetailSerializer(ClientCaseSerializer):
    timeline = TimelineEntrySerializer(many=True)


class CreatedCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    tracking_url = serializers.URLField(
        help_text=_(
            "The citizen's private link to follow the case. Give it to the "
            "citizen; never publish or log it."
        )
    )
    case = ClientCaseDetailSerializer()


class UpdatedSinceSerializer(serializers.Serializer):
    updated_since = serializers.DateTimeField(
        required=False, help_text=_("Only cases changed at or after this time.")
    )
