from urllib.parse import parse_qsl, urlencode

from django.core import signing
from django.test import override_settings

import pytest

from medborg.api.services import revoke_key
from medborg.cases.models import Case, CaseEvent, Channel
from medborg.open311.tests.conftest import OUTSIDE, fixture_text, parse_xml, shape

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
URL = "/open311/v2/requests.json"


def body(key, **changes) -> dict:
    """The sample POST body of the fixture file with the key and ``changes``."""
    fields = dict(parse_qsl(fixture_text("post_request.txt"), keep_blank_values=True))
    fields["api_key"] = key.raw
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def post(client, data, url=URL, **headers):
    return client.post(url, urlencode(data, doseq=True), FORM, headers=headers)


def test_post_creates_the_case(client, service, api_key):
    response = post(client, body(api_key))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    case = Case.objects.get()
    [row] = response.json()
    assert row == {
        "service_request_id": case.reference,
        "token": row["token"],
        "service_notice": "",
        "account_id": "",
    }
    assert signing.Signer(salt="medborg.open311.token").unsign(row["token"]) == str(
        case.pk
    )
    assert case.service == service
    assert case.channel == Channel.OPEN311
    assert case.api_key == api_key
    assert case.contact_email == "anna@example.se"
    assert case.description == "A deep hole by the bus stop."
    assert case.media_url == "https://photos.example.org/1.jpg"
    assert case.media_public is False
    assert case.answers == {"size": "large", "depth": 12, "danger": True}
    assert (case.latitude, case.longitude) == (56.8777, 14.8091)
    assert case.address == "Storgatan 1"
    assert case.language == "en"
    assert "Anna" not in case.description
    assert "0701234567" not in str(case.answers)
    assert list(case.events.values_list("kind", flat=True)) == ["case.submitted"]
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_post_xml_answer_has_the_specification_shape(client, service, api_key):
    response = post(client, body(api_key), url="/open311/v2/requests.xml")
    assert response.status_code == 200
    root = parse_xml(response.content)
    expected = shape(parse_xml(fixture_text("post_response.xml").encode()))
    assert shape(root)["request"] == sorted({*expected["request"], "token"})
    assert root.findtext("request/service_request_id") == Case.objects.get().reference


def test_api_key_may_come_in_the_query_string(client, service, api_key):
    data = body(api_key, api_key=None)
    response = post(client, data, url=f"{URL}?api_key={api_key.raw}")
    assert response.status_code == 200
    assert Case.objects.get().api_key == api_key


def test_several_choices_with_brackets(client, bins, api_key):
    data = {
        "api_key": api_key.raw,
        "service_code": "bins",
        "lat": "56.8777",
        "long": "14.8091",
        "attribute[kinds][]": ["paper", "metal"],
        "attribute[seen]": "2026-05-01T08:00:00+02:00",
    }
    response = post(client, data)
    assert response.status_code == 200
    assert Case.objects.get().answers == {
        "kinds": ["paper", "metal"],
        "seen": "2026-05-01",
    }


def test_address_id_is_kept_as_the_place_text(client, service, api_key):
    data = body(api_key, lat="", long="", address_string="", address_id="4711")
    response = post(client, data)
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.address == "address_id: 4711"
    assert case.latitude is None


def test_empty_optional_parameters_count_as_absent(client, service, api_key):
    data = body(
        api_key,
        email="",
        description="",
        media_url="",
        address_string="",
        jurisdiction_id="",
        **{"attribute[depth]": ""},
    )
    response = post(client, data)
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.contact_email == ""
    assert case.media_url == ""
    assert case.answers == {"size": "large", "danger": True}


def test_retry_with_the_same_idempotency_key_returns_the_first_case(
    client, service, api_key
):
    first = post(client, body(api_key), **{"Idempotency-Key": "order-17"})
    again = post(client, body(api_key), **{"Idempotency-Key": "order-17"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_idempotency_key_with_other_content_is_refused(client, service, api_key):
    first = post(client, body(api_key), **{"Idempotency-Key": "order-17"})
    reference = first.json()[0]["service_request_id"]
    other = post(
        client, body(api_key, description="Other."), **{"Idempotency-Key": "order-17"}
    )
    assert other.status_code == 400
    assert other.json() == [
        {
            "code": 400,
            "description": "Idempotency-Key: this key was already used for another "
            f"request ({reference}); use a new key for new content.",
        }
    ]
    assert Case.objects.count() == 1


def test_without_idempotency_key_each_post_is_a_new_case(client, service, api_key):
    post(client, body(api_key))
    post(client, body(api_key))
    assert Case.objects.count() == 2


@pytest.fixture
def refused(client):
    """Post and check the refusal: status, errors, and nothing written."""

    def check(data, status, descriptions, url=URL):
        response = post(client, data, url=url)
        assert response.status_code == status
        assert response.json() == [
            {"code": status, "description": text} for text in descriptions
        ]
        assert Case.objects.count() == 0
        assert CaseEvent.objects.count() == 0
        return response

    return check


def test_missing_key_is_403(service, api_key, refused):
    refused(
        body(api_key, api_key=""),
        403,
        ["api_key: an API key is required to create requests."],
    )


def test_unknown_key_is_403(service, api_key, refused):
    refused(
        body(api_key, api_key="mb_nope"),
        403,
        ["api_key: the key is unknown or revoked."],
    )


def test_revoked_key_is_403(service, api_key, refused):
    revoke_key(key=api_key)
    refused(body(api_key), 403, ["api_key: the key is unknown or revoked."])


def test_key_without_the_scope_is_403(service, api_key, refused):
    api_key.scopes = ["cases:read"]
    api_key.save()
    refused(
        body(api_key),
        403,
        ["api_key: the key may not create requests (scope cases:create)."],
    )


def test_over_the_rate_is_429(client, service, api_key, refused):
    api_key.rate = "2/m"
    api_key.save()
    assert post(client, body(api_key, service_code="nope")).status_code == 404
    assert post(client, body(api_key, service_code="nope")).status_code == 404
    refused(
        body(api_key),
        429,
        ["Too many requests with this api_key; try again later."],
    )


@override_settings(OPEN311_JURISDICTION="vaxjo.se")
def test_other_jurisdiction_is_404(service, api_key, refused):
    refused(
        body(api_key, jurisdiction_id="lund.se"),
        404,
        ["jurisdiction_id: this server answers for vaxjo.se only."],
    )


def test_unknown_service_is_404(service, api_key, refused):
    refused(
        body(api_key, service_code="nope"),
        404,
        ["service_code: no service has the code nope."],
    )


def test_hidden_but_active_service_takes_requests(client, hidden, api_key):
    data = {"api_key": api_key.raw, "service_code": "permit", "address_string": "X"}
    assert post(client, data).status_code == 200


@pytest.mark.parametrize(
    ("changes", "descriptions"),
    [
        ({"service_code": ""}, ["service_code: this parameter is required."]),
        ({"lat": "north"}, ["lat: Enter a number."]),
        (
            {"lat": "", "address_string": ""},
            ["lat: Give both latitude and longitude, or neither."],
        ),
        (
            {"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])},
            [
                "lat: This place is outside Växjö kommun. Choose a place inside "
                "the municipality, or contact the municipality where it is."
            ],
        ),
        (
            {"lat": "", "long": "", "address_string": ""},
            ["address_string: Mark the place on the map or describe where it is."],
        ),
        ({"attribute[size]": ""}, ["attribute[size]: This field is required."]),
        (
            {"attribute[size]": "huge"},
            [
                "attribute[size]: Select a valid choice. huge is not one of the "
                "available choices."
            ],
        ),
        (
            {"attribute[colour]": "red"},
            ["attribute[colour]: the service asks no such question."],
        ),
        (
            {"description": "x" * 4001},
            ["description: write at most 4000 characters (it has 4001)."],
        ),
        (
            {"media_url": "ftp://photos.example.org/1.jpg"},
            ["media_url: give an http or https address of at most 2000 characters."],
        ),
        (
            {"media_url": "https://example.org/" + "a" * 2000},
            ["media_url: give an http or https address of at most 2000 characters."],
        ),
        ({"email": "anna@"}, ["email: Enter a valid email address."]),
        (
            {"attribute[size]": "", "attribute[depth]": "500", "media_url": "x"},
            [
                "attribute[size]: This field is required.",
                "attribute[depth]: Ensure this value is less than or equal to 100.00.",
                "media_url: give an http or https address of at most 2000 characters.",
            ],
        ),
    ],
)
def test_invalid_request_is_400_with_every_problem(
    service, api_key, refused, changes, descriptions
):
    refused(body(api_key, **changes), 400, descriptions)


def test_refusal_in_xml(service, api_key, refused, client):
    response = post(
        client, body(api_key, service_code=""), url="/open311/v2/requests.xml"
    )
    assert response.status_code == 400
    root = parse_xml(response.content)
    assert [(e.findtext("code"), e.findtext("description")) for e in root] == [
        ("400", "service_code: this parameter is required.")
    ]


def test_nul_character_is_400(service, api_key, refused):
    refused(
        body(api_key, service_code="pot\x00hole"),
        400,
        ["service_code: contains a character that is not allowed."],
    )


def test_more_fields_than_django_reads_is_400(service, api_key, refused, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    many = {f"attribute[extra-{n}]": "x" for n in range(5)}
    refused(body(api_key, **many), 400, ["The request carries too many fields."])


def test_malformed_multipart_is_400(client, service, api_key):
    response = client.post(
        f"{URL}?api_key={api_key.raw}",
        b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--",
        "multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "The request body could not be read."}
    ]
    assert Case.objects.count() == 0


def test_post_needs_no_csrf_token(service, api_key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    assert post(strict, body(api_key)).status_code == 200


def test_token_gives_the_request_id(client, service, api_key):
    row = post(client, body(api_key)).json()[0]
    response = client.get(f"/open311/v2/tokens/{row['token']}.json")
    assert response.status_code == 200
    assert response.json() == [
        {"service_request_id": row["service_request_id"], "token": row["token"]}
    ]
    xml = client.get(f"/open311/v2/tokens/{row['token']}.xml")
    root = parse_xml(xml.content)
    assert shape(root) == shape(parse_xml(fixture_text("token.xml").encode()))
    assert root.findtext("request/service_request_id") == row["service_request_id"]


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        signing.Signer(salt="other").sign("1"),
        signing.Signer(salt="medborg.open311.token").sign("x"),
        signing.Signer(salt="medborg.open311.token").sign("999999"),
    ],
)
def test_bad_token_is_404(client, token):
    response = client.get(f"/open311/v2/tokens/{token}.json")
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": "token: no request has this token."}
    ]
