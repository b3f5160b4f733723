import json

from django.urls import reverse

import pytest

from medborg.api.models import Scope
from medborg.api.tests.conftest import auth
from medborg.sensors.models import QuarantinedReading, Reading, Source
from medborg.sensors.tests.conftest import fixture_json
from medborg.sensors.tests.factories import DeviceFactory

URL = "/api/v1/sensors/readings"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.API_KEY_RATE = "100000/m"


@pytest.fixture
def sensor_key(make_key):
    return make_key(Scope.SENSORS_WRITE)


def post(api, key, body, **headers):
    # The messages are compared in English; the suite's default is Swedish.
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return api.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        **auth(key),
        **headers,
    )


def test_the_route_is_named():
    assert reverse("api:sensor-readings") == URL


@pytest.mark.django_db
def test_a_batch_answers_for_each_reading(api, sensor_key, evaluated):
    DeviceFactory(identifier="a84041000181c2d1", calibrated=True)

    response = post(api, sensor_key, fixture_json("medborg_batch.json"))

    assert response.status_code == 200
    assert response.json() == {
        "stored": 2,
        "duplicates": 1,
        "refused": 2,
        "results": [
            {"index": 0, "status": "stored"},
            {"index": 1, "status": "duplicate"},
            {
                "index": 2,
                "status": "refused",
                "reason": "unknown_device",
                "message": "No sensor has the identifier 0000000000000000.",
            },
            {"index": 3, "status": "stored"},
            {
                "index": 4,
                "status": "refused",
                "reason": "malformed",
                "message": "measured_at has no time zone.",
            },
        ],
    }
    assert sorted(Reading.objects.values_list("fill_percent", "source")) == [
        (63.5, Source.HTTP),
        (64.0, Source.HTTP),
    ]
    assert sorted(QuarantinedReading.objects.values_list("reason", flat=True)) == [
        "malformed",
        "unknown_device",
    ]


@pytest.mark.django_db
def test_the_same_batch_again_stores_nothing_new(api, sensor_key, evaluated):
    DeviceFactory(identifier="a84041000181c2d1", calibrated=True)
    body = fixture_json("medborg_batch.json")
    post(api, sensor_key, body)

    response = post(api, sensor_key, body)

    assert [response.json()[k] for k in ("stored", "duplicates", "refused")] == [
        0,
        3,
        2,
    ]
    assert Reading.objects.count() == 2


@pytest.mark.django_db
def test_an_item_that_is_not_an_object_is_refused_alone(api, sensor_key, evaluated):
    response = post(api, sensor_key, {"readings": ["a84041000181c2d1", 4]})

    assert response.status_code == 200
    assert [r["reason"] for r in response.json()["results"]] == [
        "malformed",
        "malformed",
    ]
    assert QuarantinedReading.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "readings", "required"),
        ({"readings": []}, "readings", "min_length"),
        ({"readings": [{}] * 1001}, "readings", "max_length"),
        ({"readings": {"device": "x"}}, "readings", "not_a_list"),
        ([], None, "invalid"),
    ],
)
@pytest.mark.django_db
def test_a_malformed_body_is_refused_whole(api, sensor_key, body, field, code):
    response = post(api, sensor_key, body)

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (field, code)
    ]
    assert not QuarantinedReading.objects.exists()
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused(api, sensor_key):
    response = api.post(
        URL, "{readings", content_type="application/json", **auth(sensor_key)
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (None, 401),
        ([Scope.CASES_CREATE, Scope.CASES_READ], 403),
        ([Scope.SENSORS_WRITE], 200),
    ],
)
@pytest.mark.django_db
def test_only_a_key_with_sensors_write_may_post(
    api, make_key, scopes, status, evaluated
):
    DeviceFactory(identifier="d1")
    body = {
        "readings": [
            {"device": "d1", "measured_at": "2026-03-02T06:00:00Z", "fill_percent": 9}
        ]
    }
    headers = auth(make_key(*scopes)) if scopes else {}

    response = api.post(
        URL, json.dumps(body), content_type="application/json", **headers
    )

    assert response.status_code == status
    assert Reading.objects.count() == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_get_is_not_allowed(api, sensor_key):
    response = api.get(URL, **auth(sensor_key))

    assert response.status_code == 405


@pytest.mark.django_db
def test_the_schema_documents_the_endpoint(api):
    response = api.get("/api/v1/schema/?format=json")

    operation = response.json()["paths"]["/api/v1/sensors/readings"]["post"]
    assert operation["operationId"] == "sensors_readings_create"
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
