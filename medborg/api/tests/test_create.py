import json

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from medborg.api.models import Scope
from medborg.api.services import revoke_key
from medborg.api.tests.conftest import PLACE, auth
from medborg.cases.models import Attachment, Case, CaseEvent, Channel
from medborg.cases.tests.conftest import jpeg_bytes

URL = "/api/v1/cases/"
BODY = {
    "service": "pothole",
    "answers": {"size": "small", "depth": 12, "danger": True},
    "address": "Storgatan 1",
    "contact_email": "anna@example.se",
    "description": "Deep hole by the bus stop.",
    "media_url": "https://example.org/hole.jpg",
    **PLACE,
}


def post(api, key, body=BODY, **extra):
    return api.post(URL, body, format="json", **auth(key), **extra)


def test_create_case_returns_reference_case_and_tracking_url(api, service, create_key):
    response = post(api, create_key)
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get()
    assert body["reference"] == case.reference
    assert body["tracking_url"].startswith("https://medborg.example.se/track/")
    assert body["case"]["answers"] == {"size": "small", "depth": 12, "danger": True}
    assert body["case"]["status"] == "submitted"
    assert "contact_email" not in body["case"]
    assert (case.channel, case.api_key.name) == (Channel.API, "Test app")
    assert (case.description, case.media_url) == (
        "Deep hole by the bus stop.",
        "https://example.org/hole.jpg",
    )
    assert case.contact_email == "anna@example.se"
    token = body["tracking_url"].rstrip("/").rsplit("/", 1)[1]
    assert api.get(f"/track/{token}/").status_code == 200


def test_create_case_with_photos_as_multipart(api, service, create_key):
    data = {
        "service": "pothole",
        "answers": json.dumps({"size": "large", "danger": "no"}),
        "latitude": "56.8777",
        "longitude": "14.8091",
        "photos": [
            SimpleUploadedFile("a.jpg", jpeg_bytes(exif_gps=True), "image/jpeg"),
            SimpleUploadedFile("b.jpg", jpeg_bytes(), "image/jpeg"),
        ],
    }
    response = api.post(URL, data, format="multipart", **auth(create_key))
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.answers == {"size": "large", "danger": False}
    assert Attachment.objects.filter(case=case).count() == 2
    assert Attachment.objects.filter(case=None).count() == 0


def test_a_bad_photo_is_refused_and_nothing_is_kept(api, service, create_key):
    data = {
        "service": "pothole",
        "answers": json.dumps({"size": "large", "danger": "no"}),
        "address": "Storgatan 1",
        "photos": [SimpleUploadedFile("a.jpg", b"not an image", "image/jpeg")],
    }
    response = api.post(URL, data, format="multipart", **auth(create_key))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["photos"]
    assert Attachment.objects.count() == 0
    assert Case.objects.count() == 0


def test_validation_lists_each_fields_problem_like_the_web_form(
    api, service, create_key
):
    body = {
        "service": "pothole",
        "answers": {"size": "huge", "depth": 500, "colour": "red"},
        "latitude": 59.3293,
        "longitude": 18.0686,
        "contact_email": "not-an-address",
        "media_url": "ftp://example.org/x",
    }
    response = post(api, create_key, body)
    assert response.status_code == 400
    fields = [(e["field"], e["code"]) for e in response.json()["errors"]]
    assert fields == [("media_url", "invalid")]
    body.pop("media_url")
    response = post(api, create_key, body)
    fields = [(e["field"], e["code"]) for e in response.json()["errors"]]
    assert fields == [
        ("answers.colour", "unknown_answer"),
        ("answers.size", "invalid_choice"),
        ("answers.depth", "max_value"),
        ("answers.danger", "required"),
        ("contact_email", "invalid"),
        ("latitude", "invalid"),
    ]
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_unknown_or_inactive_service_is_400(api, service, create_key):
    service.is_active = False
    service.save()
    response = post(api, create_key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "service"
    assert response.json()["errors"][0]["code"] == "unknown_service"


def test_place_for_a_service_that_asks_none_is_refused(api, service, create_key):
    service.location = "none"
    service.max_photos = 0
    service.save()
    response = post(api, create_key)
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("latitude", "not_asked"),
        ("longitude", "not_asked"),
        ("address", "not_asked"),
    ]


def test_idempotent_retry_returns_the_same_case(api, service, create_key):
    first = post(api, create_key, HTTP_IDEMPOTENCY_KEY="order-1")
    again = post(api, create_key, HTTP_IDEMPOTENCY_KEY="order-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Case.objects.count() == 1


def test_reused_idempotency_key_with_other_content_is_409(api, service, create_key):
    post(api, create_key, HTTP_IDEMPOTENCY_KEY="order-1")
    other = {**BODY, "address": "Kungsgatan 2"}
    response = post(api, create_key, other, HTTP_IDEMPOTENCY_KEY="order-1")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_same_idempotency_key_of_two_clients_makes_two_cases(api, service, make_key):
    one = make_key(Scope.CASES_CREATE)
    two = make_key(Scope.CASES_CREATE)
    assert post(api, one, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert post(api, two, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize("header", ["", " ", "x" * 201, "é-key"])
def test_bad_idempotency_key_is_400(api, service, create_key, header):
    response = post(api, create_key, HTTP_IDEMPOTENCY_KEY=header)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("none", 401), ("read", 403), ("revoked", 401), ("unknown", 401)],
)
def test_create_needs_a_key_with_cases_create(api, service, make_key, who, expected):
    headers = {}
    if who == "read":
        headers = auth(make_key(Scope.CASES_READ))
    elif who == "revoked":
        raw = make_key(Scope.CASES_CREATE)
        from medborg.api.models import ApiKey

        revoke_key(key=ApiKey.objects.get())
        headers = auth(raw)
    elif who == "unknown":
        headers = auth("mb_0000_nothing")
    response = api.post(URL, BODY, format="json", **headers)
    assert response.status_code == expected
    assert response.json()["errors"][0]["field"] is None
    assert Case.objects.count() == 0


def test_x_api_key_header_works_too(api, service, create_key):
    response = api.post(URL, BODY, format="json", HTTP_X_API_KEY=create_key)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ('"text"', "application/json"),
        ("null", "application/json"),
        ('{"service": ["pothole"]}', "application/json"),
        ('{"service": "pothole", "answers": []}', "application/json"),
        ('{"service": "pothole", "answers": {"size": {"a": 1}}}', "application/json"),
        ('{"service": "pothole", "answers": {"size": "\\u0000"}}', "application/json"),
        ('{"service": "pot\\u0000hole"}', "application/json"),
        ('{"service": "pothole", "latitude": 1e999}', "application/json"),
        ('{"service": "pothole", "latitude": NaN}', "application/json"),
        ('{"service": "pothole", "latitude": [1]}', "application/json"),
        ('{"service": "pothole", "latitude": true}', "application/json"),
        ('{"service": "pothole", "latitude": ' + "9" * 5000 + "}", "application/json"),
        ('{"service": "pothole", "address": "a\\u0000b"}', "application/json"),
        (
            '{"service": "pothole", "description": "' + "x" * 4001 + '"}',
            "application/json",
        ),
        (
            '{"service": "pothole", "media_url": "javascript:alert(1)"}',
            "application/json",
        ),
        ('{"service": "pothole", "photos": ["x"]}', "application/json"),
        ("service=pothole", "application/x-www-form-urlencoded"),
        ("<case/>", "application/xml"),
    ],
)
def test_malformed_requests_are_4xx_never_500(
    api, service, create_key, raw, content_type
):
    response = api.generic(
        "POST", URL, raw.encode(), content_type=content_type, **auth(create_key)
    )
    assert response.status_code in {400, 415}
    assert response.json()["errors"]
    assert Case.objects.count() == 0


def test_more_files_than_django_reads_is_a_json_400(api, service, create_key, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    photos = [
        SimpleUploadedFile(f"{n}.jpg", jpeg_bytes(), "image/jpeg") for n in range(4)
    ]
    data = {"service": "pothole", "address": "Storgatan 1", "photos": photos}
    response = api.post(
        URL, data, format="multipart", HTTP_ACCEPT_LANGUAGE="en", **auth(create_key)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == [
        {
            "field": None,
            "code": "too_many_files",
            "message": "The request carries too many files.",
        }
    ]
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)


def test_a_body_larger_than_django_reads_is_a_json_400(
    api, service, create_key, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {**BODY, "description": "x" * 200}
    response = post(api, create_key, body)
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["too_large"]
    assert Case.objects.count() == 0
