"""Sensor readings over HTTP, for gateways and integrations that do not use MQTT.

A batch is stored by ``sensors.services.readings.record_readings`` in one
transaction, as MQTT messages are: each reading is stored, counted as a
duplicate of one stored earlier, or refused and quarantined with its reason.
Sending the same batch again is safe.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from medborg.api import schema
from medborg.api.models import Scope
from medborg.api.serializers_sensors import (
    IngestResultSerializer,
    ReadingBatchDocSerializer,
    ReadingBatchSerializer,
)
from medborg.api.views import ApiView
from medborg.sensors.models import Source
from medborg.sensors.payloads import medborg_reading
from medborg.sensors.services.readings import record_readings


class SensorReadings(ApiView):
    """POST a batch of readings; the answer says what became of each."""

    required_scopes = {"POST": Scope.SENSORS_WRITE}
    parser_classes = [JSONParser]
    serializer_class = ReadingBatchSerializer

    @extend_schema(
        operation_id="sensors_readings_create",
        request=ReadingBatchDocSerializer,
        responses=schema.write_responses({200: IngestResultSerializer}),
    )
    def post(self, request):
        body = ReadingBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        readings = [medborg_reading(item) for item in body.validated_data["readings"]]
        result = record_readings(readings=readings, source=Source.HTTP)
        answer = {
            "stored": len(result.stored),
            "duplicates": len(result.duplicates),
            "refused": len(result.refused),
            "results": result.results(),
        }
        return Response(IngestResultSerializer(answer).data)
