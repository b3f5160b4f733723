"""Public serializers: the service catalog and published cases.

Every field is listed by name, so nothing reaches the public API because a
model grew a column. Published cases are shaped by ``cases.publication``
first; these serializers only name its fields.
"""

from django.utils.translation import gettext_lazy as _

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from medborg.catalog.models import Question, Service

STATUS_CHOICES = [("open", _("Open")), ("closed", _("Closed"))]


# A pattern, not an enum: drf-spectacular would name an enum StatusEnum, which
# is the lifecycle status of the keyed endpoints.
@extend_schema_field(
    {"type": "string", "pattern": "^(open|closed)$", "description": "open or closed"}
)
class OpenClosedField(serializers.ChoiceField):
    """Open or closed, named inline: the lifecycle's Status owns the name."""

    def __init__(self, **kwargs):
        super().__init__(choices=STATUS_CHOICES, **kwargs)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The answer's name in ``answers``."))
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    label = serializers.CharField()
    help_text = serializers.CharField()
    required = serializers.BooleanField()
    min_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    max_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    max_length = serializers.IntegerField(
        allow_null=True, help_text=_("Longest text answer; null: the form's default.")
    )
    choices = ChoiceSerializer(
        many=True,
        source="choices.all",
        help_text=_("For choice questions: the values to send."),
    )


class CategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Send as ``service`` to create a case."))
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Service.Kind.choices)
    category = CategorySerializer()
    short_description = serializers.CharField()
    help_text = serializers.CharField()
    location = serializers.ChoiceField(
        choices=Service.Location.choices,
        help_text=_("Whether a place (latitude/longitude or address) is asked."),
    )
    max_photos = serializers.IntegerField(help_text=_("0: no photos are asked."))
    max_photo_mb = serializers.IntegerField()
    publicity = serializers.ChoiceField(
        choices=Service.Publicity.choices,
        help_text=_("Whether and how this service's cases appear in /cases/."),
    )
    deadline_days = serializers.IntegerField(
        help_text=_("The case's deadline in working days.")
    )
    questions = QuestionSerializer(many=True, source="questions.all")


class PublishedCaseSerializer(serializers.Serializer):
    """A ``publication.PublishedCase``: no contact, no answers, no private text."""

    reference = serializers.CharField()
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    status = OpenClosedField()
    status_notes = serializers.CharField(
        help_text=_("The latest message staff published; may be empty.")
    )
    description = serializers.CharField(
        help_text=_("What staff published of the description; may be empty.")
    )
    team = serializers.CharField(source="agency_responsible")
    step_name = serializers.CharField()
    step_description = serializers.CharField()
    submitted_at = serializers.DateTimeField(source="requested_at")
    updated_at = serializers.DateTimeField()
    expected_at = serializers.DateTimeField(allow_null=True)
    address = serializers.CharField(
        help_text=_("Only for services about public places; else empty.")
    )
    latitude = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Rounded to about 100 m unless the service is about public places."
        ),
    )
    longitude = serializers.FloatField(allow_null=True)
    media_url = serializers.CharField(
        help_text=_("A published photo or link; may be empty.")
    )


class PublishedEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    label = serializers.CharField()
    step_name = serializers.CharField()
    message = serializers.CharField(
        help_text=_("Only when staff published the message; else empty.")
    )


class PublishedCaseDetailSerializer(PublishedCaseSerializer):
    timeline = PublishedEventSerializer(many=True)


class PublishedCaseFilterSerializer(serializers.Serializer):
    service = serializers.SlugField(
        required=False, max_length=50, help_text=_("A service code.")
    )
    status = OpenClosedField(required=False)
    submitted_after = serializers.DateTimeField(
        required=False, help_text=_("Submitted at or after this time (ISO 8601).")
    )
    submitted_before = serializers.DateTimeField(
        required=False, help_text=_("Submitted before this time (ISO 8601).")
    )
