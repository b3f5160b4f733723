from datetime import UTC, datetime, timedelta

from django.utils import timezone

import pytest

from medborg.sensors.models import Device, QuarantinedReading, Reading, Source
from medborg.sensors.payloads import ReadingIn, medborg_reading
from medborg.sensors.services.readings import Refusal, record_readings
from medborg.sensors.tests.factories import DeviceFactory, ReadingFactory

pytestmark = pytest.mark.django_db

MEASURED = datetime(2026, 3, 2, 6, 15, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 2, 6, 16, tzinfo=UTC)


def reading(device="d1", measured_at=MEASURED, **values) -> ReadingIn:
    values.setdefault("fill_percent", 40.0)
    return ReadingIn(device=device, measured_at=measured_at, **values)


def record(*readings, source=Source.HTTP):
    return record_readings(readings=list(readings), source=source, received_at=RECEIVED)


def test_a_reading_is_stored_in_its_devices_bin(evaluated):
    device = DeviceFactory(identifier="d1")

    result = record(reading(battery_percent=80.0, temperature_c=2.5))

    assert (result.stored, result.duplicates, result.refused) == ([0], [], [])
    stored = Reading.objects.get()
    assert stored.device == device
    assert stored.bin == device.bin
    assert stored.measured_at == MEASURED
    assert stored.received_at == RECEIVED
    assert (stored.fill_percent, stored.battery_percent) == (40.0, 80.0)
    assert stored.temperature_c == 2.5
    assert stored.source == Source.HTTP


def test_the_same_reading_delivered_again_is_a_duplicate(evaluated):
    DeviceFactory(identifier="d1")
    record(reading())

    result = record(reading(fill_percent=41.0))

    assert (result.stored, result.duplicates, result.refused) == ([], [0], [])
    assert list(Reading.objects.values_list("fill_percent", flat=True)) == [40.0]


def test_a_repeat_within_a_batch_is_a_duplicate_even_in_another_zone(evaluated):
    DeviceFactory(identifier="d1")
    same_instant = MEASURED.astimezone(timezone.get_fixed_timezone(60))

    result = record(
        reading(),
        reading(measured_at=same_instant),
        reading(measured_at=MEASURED + timedelta(minutes=15)),
    )

    assert (result.stored, result.duplicates) == ([0, 2], [1])
    assert Reading.objects.count() == 2


def test_results_list_every_reading_in_order(evaluated):
    DeviceFactory(identifier="d1")
    record(reading(measured_at=MEASURED - timedelta(hours=1)))

    result = record(
        reading(measured_at=MEASURED - timedelta(hours=1)),
        reading(device="nobody"),
        reading(),
    )

    assert result.results() == [
        {"index": 0, "status": "duplicate"},
        {
            "index": 1,
            "status": "refused",
            "reason": "unknown_device",
            "message": "No sensor has the identifier nobody.",
        },
        {"index": 2, "status": "stored"},
    ]


def test_distance_becomes_a_fill_level_by_the_devices_calibration(evaluated):
    DeviceFactory(identifier="d1", calibrated=True)

    record(reading(fill_percent=None, distance_mm=450))

    stored = Reading.objects.get()
    assert (stored.fill_percent, stored.distance_mm) == (75.0, 450)


def test_a_devEui_matches_whatever_its_case(evaluated):
    device = DeviceFactory(identifier="A84041000181C2D1")

    result = record(reading(device="a84041000181c2d1"), source=Source.CHIRPSTACK)

    assert result.stored == [0]
    assert Reading.objects.get().device == device


@pytest.mark.parametrize(
    ("sent", "reason", "message"),
    [
        (
            reading(device="nobody"),
            "unknown_device",
            "No sensor has the identifier nobody.",
        ),
        (
            reading(device="raw", fill_percent=None, distance_mm=500),
            "not_calibrated",
            "Sensor raw has no empty and full distances.",
        ),
        (
            reading(fill_percent=100.5),
            "out_of_range",
            "A fill level of 100.5 % is outside 0–100 %.",
        ),
        (
            reading(fill_percent=-1.0),
            "out_of_range",
            "A fill level of -1.0 % is outside 0–100 %.",
        ),
        (
            ReadingIn(device="d1", measured_at=None, problem="Bad.", raw=[1]),
            "malformed",
            "Bad.",
        ),
    ],
)
def test_a_reading_that_cannot_be_right_is_quarantined(
    evaluated, sent, reason, message
):
    d1 = DeviceFactory(identifier="d1")
    DeviceFactory(identifier="raw")

    result = record(sent, source=Source.MQTT)

    assert result.refused == [Refusal(0, reason, message)]
    assert result.stored == []
    quarantined = QuarantinedReading.objects.get()
    assert quarantined.reason == reason
    assert quarantined.detail == message
    assert quarantined.source == Source.MQTT
    assert quarantined.device_identifier == sent.device
    assert quarantined.received_at == RECEIVED
    assert not Reading.objects.exists()
    d1.refresh_from_db()
    assert d1.last_seen_at is None
    assert evaluated == []


def test_quarantine_keeps_the_payload_as_received(evaluated):
    data = {
        "device": "nobody",
        "measured_at": "2026-03-02T07:15:00+01:00",
        "fill_percent": 5,
    }

    record(medborg_reading(data))

    quarantined = QuarantinedReading.objects.get()
    assert quarantined.payload == data
    assert quarantined.measured_at == MEASURED


def test_a_reading_from_the_future_is_quarantined_beyond_five_minutes(evaluated):
    DeviceFactory(identifier="d1")
    now = timezone.now()

    result = record_readings(
        readings=[
            reading(measured_at=now + timedelta(minutes=4)),
            reading(measured_at=now + timedelta(minutes=6)),
        ],
        source=Source.HTTP,
    )

    assert result.stored == [0]
    assert [r.reason for r in result.refused] == ["future"]
    assert QuarantinedReading.objects.get().reason == "future"


def test_the_device_shows_its_newest_reading_and_battery(evaluated):
    device = DeviceFactory(identifier="d1")

    record(
        reading(measured_at=MEASURED, battery_percent=70.0),
        reading(measured_at=MEASURED - timedelta(hours=1), battery_percent=90.0),
    )

    device.refresh_from_db()
    assert (device.last_seen_at, device.battery_percent) == (MEASURED, 70.0)


def test_a_late_reading_does_not_turn_the_device_back(evaluated):
    device = DeviceFactory(identifier="d1", last_seen_at=MEASURED, battery_percent=70.0)

    record(reading(measured_at=MEASURED - timedelta(hours=1), battery_percent=95.0))

    device.refresh_from_db()
    assert (device.last_seen_at, device.battery_percent) == (MEASURED, 70.0)
    assert Reading.objects.count() == 1


def test_a_reading_without_battery_keeps_the_last_known(evaluated):
    device = DeviceFactory(identifier="d1", battery_percent=66.0)

    record(reading())

    device.refresh_from_db()
    assert (device.last_seen_at, device.battery_percent) == (MEASURED, 66.0)


def test_bins_with_new_readings_are_evaluated_after_commit(
    evaluated, django_capture_on_commit_callbacks
):
    first = DeviceFactory(identifier="d1")
    second = DeviceFactory(identifier="d2")
    DeviceFactory(identifier="loose", unassigned=True)
    ReadingFactory(device=second, measured_at=MEASURED)

    with django_capture_on_commit_callbacks(execute=True):
        result = record(
            reading(device="d2"),
            reading(device="d1"),
            reading(device="loose"),
        )

    assert result.stored == [1, 2]
    assert result.bin_ids == [first.bin_id]
    assert evaluated == [[first.bin_id]]


def test_only_duplicates_evaluate_nothing(
    evaluated, django_capture_on_commit_callbacks
):
    device = DeviceFactory(identifier="d1")
    ReadingFactory(device=device, measured_at=MEASURED)

    with django_capture_on_commit_callbacks(execute=True):
        record(reading())

    assert evaluated == []


def test_a_large_batch_is_stored_in_chunks(evaluated):
    devices = DeviceFactory.create_batch(3)
    sent = [
        reading(device=d.identifier, measured_at=MEASURED - timedelta(minutes=n))
        for n in range(700)
        for d in devices
    ]

    result = record(*sent)

    assert len(result.stored) == 2100
    assert Reading.objects.count() == 2100
    assert set(Device.objects.values_list("last_seen_at", flat=True)) == {MEASURED}
