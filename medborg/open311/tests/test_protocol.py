import pytest

from medborg.open311.formats import xml_document
from medborg.open311.tests.conftest import parse_xml

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/services.json",
        "/open311/v2/services/pothole.json",
        "/open311/v2/requests/KOM-2026-000001.json",
        "/open311/v2/tokens/abc.json",
        "/open311/v2/servicerequestupdates.json",
        "/open311/discovery.json",
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_wrong_method_is_405_with_errors(client, service, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == [
        {
            "code": 405,
            "description": f"The method {method.upper()} is not allowed here.",
        }
    ]


def test_requests_allow_post(client):
    response = client.delete("/open311/v2/requests.xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert parse_xml(response.content).findtext("error/code") == "405"


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/open311/v2/services.csv", "application/json"),
        ("/open311/v2/services", "application/json"),
        ("/open311/v2/nothing.xml", "text/xml; charset=utf-8"),
        ("/open311/v3/services.json", "application/json"),
    ],
)
def test_unknown_resource_or_suffix_is_404(client, url, content_type):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == content_type


def test_unknown_suffix_answers_errors(client):
    assert client.post("/open311/v2/requests.csv").json() == [
        {"code": 404, "description": "There is no such Open311 resource."}
    ]


def test_head_answers_like_get(client, service):
    response = client.head("/open311/v2/services.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"


def test_xml_leaves_out_characters_xml_cannot_carry():
    content = xml_document("errors", "error", [{"code": 400, "description": "a\x01b<"}])
    assert parse_xml(content).findtext("error/description") == "ab<"


def test_xml_of_nested_lists_and_empty_values():
    content = xml_document(
        "discovery",
        None,
        {"a": None, "b": True, "endpoints": [{"formats": ["x", "y"]}]},
    )
    assert content == (
        b'<?xml version="1.0" encoding="utf-8"?>\n<discovery><a /><b>true</b>'
        b"<endpoints><endpoint><formats><format>x</format><format>y</format>"
        b"</formats></endpoint></endpoints></discovery>\n"
    )


def test_texts_with_control_characters_stay_well_formed(client, service):
    service.name_en = "Pot\x0bhole & <co>"
    service.save()
    root = parse_xml(client.get("/open311/v2/services.xml").content)
    assert root.findtext("service/service_name") == "Pothole & <co>"
