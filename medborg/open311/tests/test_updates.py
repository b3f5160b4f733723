from datetime import timedelta

from django.utils import timezone

import pytest

from medborg.cases.models import CaseEvent
from medborg.cases.services import (
    answer_information,
    move_case_to_step,
    request_information,
)
from medborg.open311.tests.conftest import fixture_text, make_case, parse_xml, shape

pytestmark = pytest.mark.django_db
URL = "/open311/v2/servicerequestupdates.json"


def moved(case, key, message="", publish=False):
    step = case.process.steps.get(key=key)
    return move_case_to_step(
        case=case, step=step, public_message=message, publish_message=publish, by=None
    )


def test_updates_of_published_cases(client, service, hidden):
    case = make_case(service)
    moved(case, "in-progress", "Anna, we are on our way.")
    moved(case, "closed", "Filled.", publish=True)
    make_case(hidden, latitude=None, longitude=None)
    events = list(
        CaseEvent.objects.filter(case=case, is_public=True).order_by("at", "id")
    )
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {
            "update_id": str(event.pk),
            "service_request_id": case.reference,
            "status": status,
            "updated_datetime": timezone.localtime(event.at).isoformat(
                timespec="seconds"
            ),
            "description": description,
            "media_url": "",
        }
        for event, status, description in zip(
            events,
            ["closed", "open", "closed"],
            ["", "", "Filled."],
            strict=True,
        )
    ]


def test_the_citizens_own_events_are_left_out(client, service):
    case = make_case(service)
    case = request_information(case=case, question="Which side?", by=None)
    answer_information(case=case, text="North, says Anna.")
    kinds = [row["update_id"] for row in client.get(URL).json()]
    private = CaseEvent.objects.get(kind="case.info_received")
    assert str(private.pk) not in kinds
    assert "Anna" not in client.get(URL).content.decode()


def test_date_range_and_xml_shape(client, service):
    case = make_case(service)
    moved(case, "in-progress")
    now = timezone.now()
    later = (now + timedelta(hours=1)).isoformat()
    assert client.get(URL, {"start_date": later}).status_code == 400
    assert client.get(URL, {"start_date": later, "end_date": later}).json() == []
    earlier = (now - timedelta(hours=1)).isoformat()
    assert len(client.get(URL, {"start_date": earlier}).json()) == 2
    response = client.get("/open311/v2/servicerequestupdates.xml")
    root = parse_xml(response.content)
    expected = parse_xml(fixture_text("service_request_updates.xml").encode())
    assert shape(root) == shape(expected)
    assert [child.tag for child in root[0]] == [child.tag for child in expected[0]]


def test_updates_older_than_a_day_need_a_start_date(client, service):
    case = make_case(service)
    CaseEvent.objects.filter(case=case).update(at=timezone.now() - timedelta(days=2))
    assert client.get(URL).json() == []
    start = (timezone.now() - timedelta(days=3)).isoformat()
    assert len(client.get(URL, {"start_date": start}).json()) == 1


def test_updates_are_paged(client, service):
    for _ in range(3):
        make_case(service)
    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert len(first) == 2
    assert len(second) == 1


@pytest.mark.parametrize("count", [0, 1, 5])
def test_updates_cost_one_query(client, service, count, django_assert_num_queries):
    for _ in range(count):
        moved(make_case(service), "in-progress")
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert len(response.json()) == 2 * count
