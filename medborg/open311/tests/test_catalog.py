import json

from django.test import override_settings

import pytest
import xmltodict

from medborg.catalog.models import Question
from medborg.catalog.tests.factories import ServiceFactory
from medborg.open311.tests.conftest import fixture_text, parse_xml, shape

pytestmark = pytest.mark.django_db

EXPECTED_POTHOLE = {
    "service_code": "pothole",
    "service_name": "Pothole",
    "description": "A hole in the road.",
    "metadata": True,
    "type": "realtime",
    "keywords": "hole, road, asphalt",
    "group": "Streets",
}


@override_settings(
    BASE_URL="https://medborg.example.se", DEFAULT_FROM_EMAIL="open311@example.se"
)
def test_discovery_json(client):
    response = client.get("/open311/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "changeset": "2026-11-23T00:00:00Z",
        "contact": "open311@example.se",
        "key_service": "Ask the municipality's system administrator for an API "
        "key with the cases:create scope.",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "https://medborg.example.se/open311/v2",
                "changeset": "2026-11-23T00:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@override_settings(BASE_URL="https://medborg.example.se")
def test_discovery_xml_has_the_specification_shape(client):
    response = client.get("/open311/discovery.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = parse_xml(response.content)
    assert shape(root) == shape(parse_xml_fixture("discovery.xml"))
    assert root.findtext("endpoints/endpoint/url") == (
        "https://medborg.example.se/open311/v2"
    )
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def parse_xml_fixture(name):
    return parse_xml(fixture_text(name).encode() + b"\n")


def test_no_services_json(client):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    assert response.json() == []


def test_no_services_xml(client):
    response = client.get("/open311/v2/services.xml")
    root = parse_xml(response.content)
    assert root.tag == "services"
    assert list(root) == []


def test_one_service_json_matches_the_specification_fields(client, service):
    response = client.get("/open311/v2/services.json")
    assert response.json() == [EXPECTED_POTHOLE]
    spec = json.loads(fixture_text("services.json"))
    assert list(response.json()[0]) == list(spec[0])


def test_one_service_xml_is_one_element(client, service):
    response = client.get("/open311/v2/services.xml")
    root = parse_xml(response.content)
    assert shape(root) == shape(parse_xml_fixture("services.xml"))
    parsed = xmltodict.parse(response.content)["services"]["service"]
    assert parsed == {**EXPECTED_POTHOLE, "metadata": "true"}


def test_several_services_in_catalog_order(client, service, bins, hidden):
    ServiceFactory(code="closed-down", is_active=False)
    plain = ServiceFactory(code="plain", name="Plain", category=service.category)
    response = client.get("/open311/v2/services.json")
    rows = response.json()
    assert [row["service_code"] for row in rows] == [
        "pothole",
        "plain",
        "bins",
        "permit",
    ]
    assert [row["metadata"] for row in rows] == [True, False, True, False]
    assert [row["group"] for row in rows] == ["Streets", "Streets", "Waste", "Permits"]
    assert plain.code == "plain"

    xml = client.get("/open311/v2/services.xml")
    parsed = xmltodict.parse(xml.content)["services"]["service"]
    assert isinstance(parsed, list)
    assert [row["service_code"] for row in parsed] == [
        "pothole",
        "plain",
        "bins",
        "permit",
    ]
    assert [row["metadata"] for row in parsed] == ["true", "false", "true", "false"]


def test_services_list_costs_one_query(
    client, service, bins, django_assert_num_queries
):
    with django_assert_num_queries(1):
        client.get("/open311/v2/services.json")


def test_service_names_follow_the_language(client, service):
    service.name_sv = "Potthål"
    service.save()
    response = client.get(
        "/open311/v2/services.json", headers={"accept-language": "sv"}
    )
    assert response.json()[0]["service_name"] == "Potthål"


def test_service_definition_json(client, service):
    response = client.get("/open311/v2/services/pothole.json")
    assert response.status_code == 200
    assert response.json() == {
        "service_code": "pothole",
        "attributes": [
            {
                "variable": True,
                "code": "size",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "",
                "order": 1,
                "description": "How big?",
                "values": [
                    {"key": "small", "name": "Small"},
                    {"key": "large", "name": "Large"},
                ],
            },
            {
                "variable": True,
                "code": "depth",
                "datatype": "number",
                "required": False,
                "datatype_description": "Roughly.",
                "order": 2,
                "description": "Depth in cm",
                "values": [],
            },
            {
                "variable": True,
                "code": "danger",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "",
                "order": 3,
                "description": "Dangerous?",
                "values": [
                    {"key": "yes", "name": "Yes"},
                    {"key": "no", "name": "No"},
                ],
            },
        ],
    }


def test_service_definition_datatypes(client, bins):
    rows = client.get("/open311/v2/services/bins.json").json()["attributes"]
    assert [(row["code"], row["datatype"], row["order"]) for row in rows] == [
        ("kinds", "multivaluelist", 1),
        ("seen", "datetime", 2),
        ("where", "string", 3),
        ("more", "text", 4),
    ]
    assert rows[0]["values"] == [
        {"key": "paper", "name": "Paper"},
        {"key": "glass", "name": "Glass"},
        {"key": "metal", "name": "Metal"},
    ]


def test_service_definition_xml_has_the_specification_shape(client, service):
    response = client.get("/open311/v2/services/pothole.xml")
    root = parse_xml(response.content)
    ours = shape(root)
    assert ours == shape(parse_xml_fixture("service_definition.xml"))
    parsed = xmltodict.parse(response.content)["service_definition"]
    attributes = parsed["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["size", "depth", "danger"]
    assert attributes[0]["values"]["value"] == [
        {"key": "small", "name": "Small"},
        {"key": "large", "name": "Large"},
    ]
    assert attributes[1]["values"] is None
    assert attributes[1]["required"] == "false"


def test_service_definition_with_one_attribute_and_one_value(client, team):
    service = ServiceFactory(code="one", team=team)
    question = service.questions.create(
        key="only", kind=Question.Kind.CHOICE, label="Only?"
    )
    question.choices.create(value="yes-please", label="Yes please")
    response = client.get("/open311/v2/services/one.xml")
    parsed = xmltodict.parse(response.content)["service_definition"]
    attribute = parsed["attributes"]["attribute"]
    assert attribute["code"] == "only"
    assert attribute["values"]["value"] == {"key": "yes-please", "name": "Yes please"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_inactive_service_definition_is_404(client, service, fmt):
    ServiceFactory(code="closed-down", is_active=False)
    for code in ("nope", "closed-down"):
        response = client.get(f"/open311/v2/services/{code}.{fmt}")
        assert response.status_code == 404
    expected = "service_code: no service has the code closed-down."
    if fmt == "json":
        assert response.json() == [{"code": 404, "description": expected}]
    else:
        root = parse_xml(response.content)
        assert shape(root) == shape(parse_xml_fixture("errors.xml"))
        assert root.findtext("error/code") == "404"
        assert root.findtext("error/description") == expected


@override_settings(OPEN311_JURISDICTION="vaxjo.se")
def test_jurisdiction(client, service):
    assert client.get("/open311/v2/services.json?jurisdiction_id=vaxjo.se").json()
    assert client.get("/open311/v2/services.json?jurisdiction_id=").status_code == 200
    response = client.get("/open311/v2/services.json?jurisdiction_id=lund.se")
    assert response.status_code == 404
    assert response.json() == [
        {
            "code": 404,
            "description": "jurisdiction_id: this server answers for vaxjo.se only.",
        }
    ]
