import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from medborg.sensors.models import Source
from medborg.sensors.payloads import (
    ReadingIn,
    chirpstack_reading,
    fill_from_distance,
    medborg_reading,
    mqtt_reading,
)
from medborg.sensors.tests.conftest import FIXTURES, fixture_json

CET = timezone(timedelta(hours=1))


def test_medborg_json_is_read_with_its_zone():
    reading = medborg_reading(fixture_json("medborg_reading.json"))

    assert reading == ReadingIn(
        device="a84041000181c2d1",
        measured_at=datetime(2026, 3, 2, 7, 15, tzinfo=CET),
        fill_percent=63.5,
        battery_percent=91.0,
        temperature_c=4.5,
    )
    assert reading.problem == ""


def test_medborg_json_with_distance_keeps_the_distance():
    data = {"device": "d1", "measured_at": "2026-03-02T06:00:00Z", "distance_mm": 560}

    reading = medborg_reading(data)

    assert reading.fill_percent is None
    assert reading.distance_mm == 560
    assert reading.measured_at == datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_medborg_json_takes_the_device_from_the_topic_when_absent():
    data = {"measured_at": "2026-03-02T06:00:00Z", "fill_percent": 10}

    assert medborg_reading(data, device="d7").device == "d7"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"device": None}, "device is missing or not text."),
        ({"device": "x" * 65}, "device is longer than 64 characters."),
        ({"measured_at": "2026-03-02 06:00:00"}, "measured_at has no time zone."),
        ({"measured_at": "yesterday"}, "measured_at is not an ISO 8601 date and time."),
        ({"fill_percent": "63"}, "fill_percent is not a number."),
        ({"fill_percent": True}, "fill_percent is not a number."),
        ({"fill_percent": None}, "Neither a fill level nor a distance was sent."),
        (
            {"fill_percent": None, "distance_mm": -4},
            "distance_mm is not a distance in mm.",
        ),
        ({"battery_percent": 140}, "battery_percent is not between 0 and 100."),
        ({"temperature_c": float("nan")}, "temperature_c is not a finite number."),
    ],
)
def test_malformed_medborg_json_says_what_is_wrong(change, problem):
    data = fixture_json("medborg_reading.json") | change
    if change.get("device", "") is None:
        del data["device"]

    reading = medborg_reading(data)

    assert reading.problem == problem
    assert reading.measured_at is None
    assert reading.raw == data


def test_a_reading_that_is_not_an_object_is_malformed():
    reading = medborg_reading([1, 2])

    assert reading.problem == "A reading is a JSON object."
    assert reading.device == ""


def test_chirpstack_uplink_is_read_from_its_decoded_object():
    data = fixture_json("chirpstack_up.json")

    reading = chirpstack_reading(data)

    assert reading == ReadingIn(
        device="a84041000181c2d1",
        measured_at=datetime(2026, 3, 2, 6, 15, 0, 421359, tzinfo=UTC),
        distance_mm=560,
        battery_percent=87.0,
        temperature_c=3.5,
    )


@pytest.mark.parametrize(
    ("values", "fill", "distance"),
    [
        ({"fill_percent": 40}, 40.0, None),
        ({"fillLevel": 41.5}, 41.5, None),
        ({"distance_mm": 700}, None, 700),
        ({"distance": 701.4}, None, 701),
    ],
)
def test_chirpstack_object_keys_of_common_codecs(values, fill, distance):
    data = fixture_json("chirpstack_up.json") | {"object": values}

    reading = chirpstack_reading(data)

    assert (reading.fill_percent, reading.distance_mm) == (fill, distance)


def test_chirpstack_without_time_takes_the_gateway_time():
    data = fixture_json("chirpstack_up.json")
    del data["time"]

    reading = chirpstack_reading(data)

    assert reading.measured_at == datetime(2026, 3, 2, 6, 15, 0, 401229, tzinfo=UTC)


def test_chirpstack_without_decoded_object_is_malformed():
    data = fixture_json("chirpstack_up.json")
    del data["object"]

    reading = chirpstack_reading(data)

    assert reading.problem == (
        "The uplink has no decoded object; is the device codec set?"
    )
    assert reading.device == "a84041000181c2d1"


def test_mqtt_topic_chooses_the_format():
    payload = (FIXTURES / "chirpstack_up.json").read_bytes()
    topic = "application/17c82e96/device/a84041000181c2d1/event/up"

    source, reading = mqtt_reading(topic, payload)

    assert source == Source.CHIRPSTACK
    assert reading.distance_mm == 560


def test_mqtt_medborg_topic_names_the_device():
    payload = json.dumps({"measured_at": "2026-03-02T06:00:00Z", "fill_percent": 5})

    source, reading = mqtt_reading("medborg/sensors/d9/readings", payload.encode())

    assert source == Source.MQTT
    assert reading.device == "d9"
    assert reading.fill_percent == 5.0


def test_mqtt_message_that_is_not_json_is_kept_as_text():
    source, reading = mqtt_reading("medborg/sensors/d9/readings", b"\xff{fill")

    assert source == Source.MQTT
    assert reading.problem == "The message is not JSON in UTF-8."
    assert reading.device == "d9"
    assert reading.raw == {
        "topic": "medborg/sensors/d9/readings",
        "payload": "\ufffd{fill",
    }


@pytest.mark.parametrize(
    ("distance", "fill"),
    [
        (1200, 0.0),
        (200, 100.0),
        (700, 50.0),
        (1250, 0.0),  # echo noise just beyond the bottom
        (150, 100.0),
        (1400, -20.0),
        (0, 120.0),
    ],
)
def test_fill_from_distance(distance, fill):
    assert fill_from_distance(distance, empty_mm=1200, full_mm=200) == fill
