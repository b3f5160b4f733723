from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

import pytest
import xmltodict

from medborg.cases.lifecycle import Status
from medborg.cases.models import Attachment
from medborg.cases.services import move_case_to_step, publish_case
from medborg.open311.tests.conftest import (
    fixture_text,
    make_case,
    parse_xml,
    shape,
)

pytestmark = pytest.mark.django_db
URL = "/open311/v2/requests.json"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["service_request_id"] for row in response.json()]


def test_published_request_fields(client, service):
    case = make_case(
        service,
        answers={"size": "large", "danger": True},
        contact_email="anna@example.se",
        description="Anna Svensson, Storgatan 1, saw it.",
        media_url="https://photos.example.org/1.jpg",
    )
    [row] = client.get(URL).json()
    assert row == {
        "service_request_id": case.reference,
        "status": "open",
        "status_notes": "",
        "service_name": "Pothole",
        "service_code": "pothole",
        "description": "",
        "agency_responsible": "Streets and parks",
        "service_notice": "",
        "requested_datetime": timezone.localtime(case.submitted_at).isoformat(
            timespec="seconds"
        ),
        "updated_datetime": timezone.localtime(case.updated_at).isoformat(
            timespec="seconds"
        ),
        "expected_datetime": timezone.localtime(case.due_at).isoformat(
            timespec="seconds"
        ),
        "address": "Storgatan 1",
        "address_id": "",
        "zipcode": "",
        "lat": 56.8777,
        "long": 14.8091,
        "media_url": "",
    }
    assert row["requested_datetime"][-6:] in {"+01:00", "+02:00"}
    text = client.get(URL).content.decode()
    for private in ("anna@example.se", "Anna Svensson", "photos.example.org", "large"):
        assert private not in text


def test_published_description_media_and_notes_are_shown(client, service):
    case = make_case(service, media_url="https://photos.example.org/1.jpg")
    publish_case(
        case=case,
        public_description="A hole.",
        media_public=True,
        photo_ids=[],
        by=None,
    )
    step = case.process.steps.get(key="closed")
    move_case_to_step(
        case=case, step=step, public_message="Filled.", publish_message=True, by=None
    )
    [row] = client.get(URL).json()
    assert row["description"] == "A hole."
    assert row["media_url"] == "https://photos.example.org/1.jpg"
    assert row["status"] == "closed"
    assert row["status_notes"] == "Filled."
    assert row["expected_datetime"] is None


def test_unpublished_message_is_not_a_status_note(client, service):
    case = make_case(service)
    step = case.process.steps.get(key="in-progress")
    move_case_to_step(case=case, step=step, public_message="Anna, we come.", by=None)
    [row] = client.get(URL).json()
    assert row["status_notes"] == ""


@override_settings(BASE_URL="https://medborg.example.se")
def test_published_photo_is_the_media_url(client, service):
    case = make_case(service)
    photo = Attachment.objects.create(
        case=case,
        image="p.jpg",
        thumbnail="t.jpg",
        width=1,
        height=1,
        size=1,
        is_public=True,
    )
    [row] = client.get(URL).json()
    assert row["media_url"] == f"https://medborg.example.se/photos/{photo.pk}.jpg"


def test_area_publicity_rounds_the_place_and_hides_the_address(client, bins):
    make_case(
        bins, latitude=56.877749, longitude=14.809149, answers={"kinds": ["paper"]}
    )
    [row] = client.get(URL).json()
    assert (row["lat"], row["long"], row["address"]) == (56.878, 14.809, "")


def test_exact_publicity_shows_the_place(client, service):
    make_case(service, latitude=56.877749, longitude=14.809149)
    [row] = client.get(URL).json()
    assert (row["lat"], row["long"]) == (56.877749, 14.809149)
    assert row["address"] == "Storgatan 1"


def test_case_without_place_has_empty_coordinates(client, service):
    make_case(service, latitude=None, longitude=None)
    [row] = client.get(URL).json()
    assert (row["lat"], row["long"]) == (None, None)
    xml = xmltodict.parse(client.get("/open311/v2/requests.xml").content)
    request = xml["service_requests"]["request"]
    assert (request["lat"], request["long"]) == (None, None)


def test_hidden_services_cases_are_absent(client, service, hidden):
    secret = make_case(hidden, latitude=None, longitude=None)
    shown = make_case(service)
    assert ids(client.get(URL)) == [shown.reference]
    assert ids(client.get(f"{URL}?service_request_id={secret.reference}")) == []
    detail = client.get(f"/open311/v2/requests/{secret.reference}.json")
    assert detail.status_code == 404


def test_newest_first_and_default_90_days(client, service):
    old = make_case(service, days_ago=91)
    older = make_case(service, days_ago=3)
    newer = make_case(service, days_ago=2)
    same_time = make_case(service, days_ago=2, submitted_at=newer.submitted_at)
    assert ids(client.get(URL)) == [
        same_time.reference,
        newer.reference,
        older.reference,
    ]
    assert old.reference not in ids(client.get(URL))


def test_ids_override_the_other_parameters(client, service):
    old = make_case(service, days_ago=200)
    new = make_case(service)
    query = f"service_request_id={old.reference},{new.reference},KOM-0&status=closed"
    assert ids(client.get(f"{URL}?{query}")) == [new.reference, old.reference]


def test_service_code_filter(client, service, bins):
    pothole = make_case(service)
    bin_case = make_case(bins, answers={"kinds": ["glass"]}, days_ago=2)
    assert ids(client.get(f"{URL}?service_code=bins")) == [bin_case.reference]
    both = client.get(f"{URL}?service_code=bins,pothole")
    assert ids(both) == [pothole.reference, bin_case.reference]
    assert ids(client.get(f"{URL}?service_code=nope")) == []


def test_date_filters(client, service):
    make_case(service, days_ago=10)
    middle = make_case(service, days_ago=5)
    make_case(service, days_ago=1)
    now = timezone.now()
    start = (now - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=4)).isoformat()
    response = client.get(URL, {"start_date": start, "end_date": end})
    assert ids(response) == [middle.reference]
    local = timezone.localtime(now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(ids(client.get(URL, {"end_date": local}))) == 2


def test_status_filter(client, service):
    open_case = make_case(service)
    closed = make_case(service, days_ago=2, status=Status.CLOSED)
    assert ids(client.get(f"{URL}?status=open")) == [open_case.reference]
    assert ids(client.get(f"{URL}?status=closed")) == [closed.reference]
    both = ids(client.get(f"{URL}?status=open,closed"))
    assert both == [open_case.reference, closed.reference]


def test_pagination(client, service):
    cases = [make_case(service, days_ago=days) for days in (1, 2, 3, 4, 5)]
    references = [case.reference for case in cases]
    assert ids(client.get(f"{URL}?page_size=2")) == references[:2]
    assert ids(client.get(f"{URL}?page_size=2&page=2")) == references[2:4]
    assert ids(client.get(f"{URL}?page_size=2&page=3")) == references[4:]
    assert ids(client.get(f"{URL}?page_size=2&page=4")) == []


@pytest.mark.parametrize(
    ("query", "description"),
    [
        (
            "start_date=yesterday",
            "start_date: give a date and time in ISO 8601, e.g. 2026-01-31T00:00:00Z.",
        ),
        (
            "end_date=2026-13-45T00:00:00Z",
            "end_date: give a date and time in ISO 8601, e.g. 2026-01-31T00:00:00Z.",
        ),
        (
            "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
            "start_date: must not be after end_date.",
        ),
        ("status=pending", "status: give open, closed or both, comma-separated."),
        ("page=0", "page: give a whole number from 1 to 1000000."),
        ("page=two", "page: give a whole number from 1 to 1000000."),
        ("page_size=1001", "page_size: give a whole number from 1 to 1000."),
        ("page_size=-1", "page_size: give a whole number from 1 to 1000."),
        (
            "service_code=a%00b",
            "service_code: contains a character that is not allowed.",
        ),
    ],
)
def test_bad_parameters_are_400(client, service, query, description):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": description}]


def test_empty_parameters_count_as_absent(client, service):
    case = make_case(service)
    query = "service_request_id=&service_code=&start_date=&end_date=&status=&page="
    assert ids(client.get(f"{URL}?{query}")) == [case.reference]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_list_costs_one_query(client, service, bins, count, django_assert_num_queries):
    for days in range(count):
        make_case(service if days % 2 else bins, days_ago=days + 1)
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert len(response.json()) == count
    with django_assert_num_queries(1):
        client.get("/open311/v2/requests.xml")


def test_one_request_json_and_xml(client, service):
    case = make_case(service)
    response = client.get(f"/open311/v2/requests/{case.reference}.json")
    assert ids(response) == [case.reference]
    xml = client.get(f"/open311/v2/requests/{case.reference}.xml")
    root = parse_xml(xml.content)
    spec = parse_xml(fixture_text("service_requests.xml").encode())
    assert shape(root) == shape(spec)
    assert [child.tag for child in root[0]] == [child.tag for child in spec[0]]


def test_several_requests_xml_repeat_the_request_element(client, service):
    for days in (1, 2):
        make_case(service, days_ago=days)
    parsed = xmltodict.parse(client.get("/open311/v2/requests.xml").content)
    assert len(parsed["service_requests"]["request"]) == 2


@pytest.mark.parametrize("reference", ["KOM-2026-999999", "a%00b"])
def test_unknown_request_is_404(client, service, reference):
    response = client.get(f"/open311/v2/requests/{reference}.xml")
    assert response.status_code == 404
    root = parse_xml(response.content)
    assert root.findtext("error/code") == "404"
