"""The sensor readings endpoint's body and answer.

Each reading in a batch is checked by ``sensors.payloads`` and refused on its
own (quarantined with a reason) rather than failing the whole batch, so the
reading items are documented here but not validated by DRF.
"""

from django.utils.translation import gettext_lazy as _

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_READINGS = 1000


class ReadingSerializer(serializers.Serializer):
    """Documentation of one reading in Medborg's JSON (docs/sensors.md)."""

    device = serializers.CharField(
        max_length=64, help_text=_("The sensor's identifier, e.g. its DevEUI.")
    )
    measured_at = serializers.DateTimeField(
        help_text=_("When it measured: ISO 8601 with a time zone.")
    )
    fill_percent = serializers.FloatField(
        required=False, help_text=_("Fill level in %; or send distance_mm.")
    )
    distance_mm = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=_("Distance to the waste in mm, made a fill level by calibration."),
    )
    battery_percent = serializers.FloatField(required=False, min_value=0, max_value=100)
    temperature_c = serializers.FloatField(required=False)


class ReadingBatchSerializer(serializers.Serializer):
    """The body: up to MAX_READINGS readings; each item is checked on its own."""

    readings = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=MAX_READINGS,
    )


class ReadingBatchDocSerializer(serializers.Serializer):
    readings = ReadingSerializer(many=True, min_length=1, max_length=MAX_READINGS)


# A pattern, not an enum: a second enum of a field named "status" would
# rename the cases' StatusEnum component that clients already use.
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(stored|duplicate|refused)$",
        "description": "stored, duplicate or refused.",
    }
)
class ReadingStatusField(serializers.CharField):
    pass


class ReadingResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position in the batch, from 0."))
    status = ReadingStatusField()
    reason = serializers.CharField(
        required=False,
        help_text=_(
            "Why it was refused: unknown_device, out_of_range, future, "
            "malformed or not_calibrated."
        ),
    )
    message = serializers.CharField(required=False, help_text=_("For people."))


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ReadingResultSerializer(many=True)
