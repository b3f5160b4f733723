"""The independent ``georeport`` client reads our endpoints over HTTP."""

import pytest
from georeport import GeoReport

from medborg.open311.tests.conftest import make_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(service, bins):
    first = make_case(service, days_ago=2)
    second = make_case(bins, answers={"kinds": ["paper"]}, days_ago=1)
    return [second.reference, first.reference]


@pytest.fixture(params=["json", "xml"])
def georeport(request, live_server, settings):
    settings.OPEN311_JURISDICTION = "vaxjo.se"
    return GeoReport(
        f"{live_server.url}/open311/v2",
        jurisdiction="vaxjo.se",
        output_format=request.param,
    )


def test_service_list(georeport, published):
    services = georeport.get_service_list()
    assert [s["service_code"] for s in services] == ["pothole", "bins"]
    assert [s["group"] for s in services] == ["Streets", "Waste"]


def test_service_definition(georeport, published):
    definition = georeport.get_service_definition("pothole")
    assert definition["service_code"] == "pothole"
    attributes = definition["attributes"]
    if georeport.output_format == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["size", "depth", "danger"]
    assert [a["datatype"] for a in attributes] == [
        "singlevaluelist",
        "number",
        "singlevaluelist",
    ]


def test_service_requests(georeport, published):
    requests = georeport.get_service_requests()
    assert [r["service_request_id"] for r in requests] == published
    filtered = georeport.get_service_requests(service_code="pothole", status="open")
    if georeport.output_format == "xml":
        filtered = [filtered]
    assert [r["service_request_id"] for r in filtered] == published[1:]


def test_service_request(georeport, published):
    request = georeport.get_service_request(published[0])
    assert request["service_request_id"] == published[0]
    assert request["service_code"] == "bins"
    assert request["status"] == "open"
