import json
import sys
import types
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest
from defusedxml import ElementTree

import medborg.routing
from medborg.routing.models import Stop
from medborg.routing.tests.conftest import make_plan, make_route
from medborg.sensors.services import emptying

BACKEND = "medborg.accounts.backends.StaffBackend"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user, backend=BACKEND)
        return client

    return login


@pytest.fixture
def fake_tasks(monkeypatch):
    """Stand in for the planning task: record what would be enqueued."""
    calls = []
    plan_day = types.SimpleNamespace(enqueue=lambda *args: calls.append(args))
    module = types.SimpleNamespace(plan_day=plan_day)
    monkeypatch.setitem(sys.modules, "medborg.routing.tasks", module)
    monkeypatch.setattr(medborg.routing, "tasks", module, raising=False)
    return calls


@pytest.fixture
def no_case_closing(monkeypatch):
    calls = []
    monkeypatch.setattr(
        emptying, "close_emptying_case", lambda **kwargs: calls.append(kwargs)
    )
    return calls


def route_url(route, name="route"):
    return reverse(f"routing:{name}", kwargs={"route_id": route.pk})


def mark_url(route, stop):
    return reverse("routing:mark", kwargs={"route_id": route.pk, "stop_id": stop.pk})


def test_operator_sees_the_days_figures(as_user, operator, day_plan):
    response = as_user(operator).get(reverse("routing:index"))
    assert response.status_code == 200
    assert response.context["plan"] == day_plan["plan"]
    assert response.context["savings"] == {
        "baseline_km": 50.0,
        "saved_km": 30.0,
        "percent": 60,
    }
    assert "30.0 km (60 %) of the fixed round's 50.0 km" in response.text


def test_operator_sees_each_routes_load_against_capacity(as_user, operator, day_plan):
    response = as_user(operator).get(reverse("routing:index"))
    rows = response.context["rows"]
    assert [(r["route"].vehicle.code, len(r["stops"])) for r in rows] == [
        ("truck-a", 3),
        ("truck-b", 2),
    ]
    assert [(r["km"], r["hours"], r["load_percent"]) for r in rows] == [
        (12.3, 3.0, 10),
        (12.3, 3.0, 7),
    ]
    assert "1980 / 20000 (10 %)" in response.text


def test_operator_sees_unplanned_bins_with_the_reason(as_user, operator, day_plan):
    response = as_user(operator).get(reverse("routing:index"))
    assert response.context["unplanned"] == [
        {
            "code": "far-away",
            "name": "Far away",
            "reason": "Its time window cannot be reached within any shift",
        }
    ]


def test_operator_page_reads_a_plan_in_a_fixed_number_of_queries(
    as_user, operator, day_plan, django_assert_num_queries
):
    client = as_user(operator)
    client.get(reverse("routing:index"))
    with django_assert_num_queries(10):
        client.get(reverse("routing:index"))


def test_the_map_gets_every_stop_of_every_route(as_user, operator, day_plan):
    response = as_user(operator).get(reverse("routing:index"))
    routes = response.context["map_points"]["routes"]
    assert [len(route["stops"]) for route in routes] == [3, 2]
    assert routes[0]["stops"][0]["name"] == "Torget 1"
    assert 'id="route-map-data"' in response.text
    assert "route-map.js" in response.text


def test_another_day_without_a_plan_says_so(as_user, operator, day_plan):
    day = timezone.localdate() + timedelta(days=3)
    response = as_user(operator).get(reverse("routing:index"), {"date": day})
    assert response.status_code == 200
    assert response.context["plan"] is None
    assert "There is no plan for this day yet." in response.text
    assert "route-map.js" not in response.text


def test_an_unreadable_date_is_a_400(as_user, operator, day_plan):
    response = as_user(operator).get(reverse("routing:index"), {"date": "soon"})
    assert response.status_code == 400
    assert response.context["plan"] == day_plan["plan"]


def test_earlier_plans_of_the_day_are_listed_and_shown(as_user, operator, day_plan):
    earlier = make_plan(day_plan["plan"].date, minutes_ago=90, distance_m=31_000)
    client = as_user(operator)
    response = client.get(reverse("routing:index"))
    assert [item["plan"] for item in response.context["earlier"]] == [earlier]
    response = client.get(
        reverse("routing:index"),
        {"date": day_plan["plan"].date.isoformat(), "plan": earlier.pk},
    )
    assert response.context["plan"] == earlier
    assert response.context["is_current"] is False
    assert "This is an earlier plan of the day" in response.text


def test_plan_the_day_enqueues_the_task_and_says_so(
    as_user, operator, fake_tasks, django_capture_on_commit_callbacks
):
    day = timezone.localdate() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(operator).post(
            reverse("routing:plan_day"), {"date": day.isoformat()}
        )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('routing:index')}?date={day}"
    assert fake_tasks == [(day.isoformat(), operator.pk)]
    message = [str(m) for m in response.wsgi_request._messages]
    assert len(message) == 1
    assert message[0].startswith("Planning of ")


def test_plan_the_day_stores_the_planning_task(
    as_user, operator, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    day = timezone.localdate() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(operator).post(reverse("routing:plan_day"), {"date": day.isoformat()})
    task = DBTaskResult.objects.get()
    assert task.task_path == "medborg.routing.tasks.plan_day"
    assert task.args_kwargs == {"args": [day.isoformat(), operator.pk], "kwargs": {}}


def test_plan_the_day_without_a_date_enqueues_nothing(
    as_user, operator, fake_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(operator).post(reverse("routing:plan_day"), {})
    assert response.status_code == 302
    assert fake_tasks == []


def test_a_driver_going_to_the_plans_lands_on_their_routes(as_user, driver, day_plan):
    response = as_user(driver).get(reverse("routing:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("routing:mine")


def test_a_driver_lists_only_the_routes_of_their_vehicles(as_user, driver, day_plan):
    response = as_user(driver).get(reverse("routing:mine"))
    assert response.context["routes"] == [day_plan["route"]]
    assert route_url(day_plan["route"]) in response.text
    assert route_url(day_plan["other_route"]) not in response.text


def test_a_driver_sees_their_route_stops_in_order(as_user, driver, day_plan):
    route = day_plan["route"]
    response = as_user(driver).get(route_url(route))
    assert response.status_code == 200
    rows = response.context["stop_rows"]
    assert [(r["stop"].position, r["stop"].bin.code) for r in rows] == [
        (1, "bin-1"),
        (2, "bin-2"),
        (3, "bin-3"),
    ]
    assert [r["fill"] for r in rows] == [87.0, None, None]
    text = response.text
    assert text.index("1. Torget 1") < text.index("2. Torget 2")
    assert "87 %" in text
    assert "06:00–15:00" in text
    assert "07:20" in text
    assert text.count('data-action="emptied"') == 3
    assert text.count('data-action="skipped"') == 3
    assert route_url(route, "gpx") in text
    assert route_url(route, "geojson") in text


def test_the_route_page_reads_in_a_fixed_number_of_queries(
    as_user, driver, day_plan, django_assert_num_queries
):
    client = as_user(driver)
    client.get(route_url(day_plan["route"]))
    with django_assert_num_queries(8):
        client.get(route_url(day_plan["route"]))


def test_a_driver_cannot_open_another_crews_route(as_user, driver, day_plan):
    client = as_user(driver)
    assert client.get(route_url(day_plan["other_route"])).status_code == 404
    assert client.get(route_url(day_plan["other_route"], "gpx")).status_code == 404


def test_an_operator_opens_any_route(as_user, operator, day_plan):
    response = as_user(operator).get(route_url(day_plan["other_route"]))
    assert response.status_code == 200


def test_a_route_of_a_replaced_plan_says_so(as_user, driver, day_plan):
    newer = make_plan(day_plan["plan"].date)
    newer.created_at = timezone.now() + timedelta(minutes=1)
    newer.save()
    response = as_user(driver).get(route_url(day_plan["route"]))
    assert response.context["superseded"] is True
    assert "The day has been planned again" in response.text


def test_a_driver_marks_a_stop_emptied_and_goes_to_the_next(
    as_user, driver, day_plan, no_case_closing
):
    route = day_plan["route"]
    first, second = route.stops.order_by("position")[:2]
    response = as_user(driver).post(mark_url(route, first), {"status": "emptied"})
    assert response.status_code == 302
    assert response["Location"] == f"{route_url(route)}#stop-{second.pk}"
    first.refresh_from_db()
    assert (first.status, first.done_by) == (Stop.Status.EMPTIED, driver)
    assert no_case_closing == [{"bin": first.bin, "by": driver, "reason": "driver"}]


def test_a_driver_marks_a_stop_skipped_with_a_reason(
    as_user, driver, day_plan, no_case_closing
):
    route = day_plan["route"]
    stop = route.stops.get(position=3)
    response = as_user(driver).post(
        mark_url(route, stop), {"status": "skipped", "skip_reason": "blocked"}
    )
    first = route.stops.get(position=1)
    assert response["Location"] == f"{route_url(route)}#stop-{first.pk}"
    stop.refresh_from_db()
    assert (stop.status, stop.skip_reason) == (Stop.Status.SKIPPED, "blocked")
    assert no_case_closing == []


def test_skipping_without_a_reason_is_a_400_and_changes_nothing(
    as_user, driver, day_plan, no_case_closing
):
    route = day_plan["route"]
    stop = route.stops.get(position=1)
    response = as_user(driver).post(mark_url(route, stop), {"status": "skipped"})
    assert response.status_code == 400
    assert "Choose why the stop was skipped." in response.text
    stop.refresh_from_db()
    assert (stop.status, stop.done_at) == (Stop.Status.PLANNED, None)


def test_marking_a_stop_twice_is_a_409_with_a_message(
    as_user, driver, day_plan, no_case_closing
):
    route = day_plan["route"]
    stop = route.stops.get(position=1)
    client = as_user(driver)
    client.post(mark_url(route, stop), {"status": "emptied"})
    done_at = Stop.objects.get(pk=stop.pk).done_at
    response = client.post(
        mark_url(route, stop), {"status": "skipped", "skip_reason": "other"}
    )
    assert response.status_code == 409
    assert "Stop 1 was already marked at" in response.text
    stop.refresh_from_db()
    assert (stop.status, stop.skip_reason, stop.done_at) == (
        Stop.Status.EMPTIED,
        "",
        done_at,
    )
    assert len(no_case_closing) == 1


def test_a_stop_of_another_route_is_a_404(as_user, operator, day_plan):
    other_stop = day_plan["other_route"].stops.first()
    response = as_user(operator).post(
        mark_url(day_plan["route"], other_stop), {"status": "emptied"}
    )
    assert response.status_code == 404
    other_stop.refresh_from_db()
    assert other_stop.status == Stop.Status.PLANNED


def test_a_marked_stop_offers_no_buttons(as_user, driver, day_plan, no_case_closing):
    route = day_plan["route"]
    client = as_user(driver)
    client.post(mark_url(route, route.stops.get(position=1)), {"status": "emptied"})
    response = client.get(route_url(route))
    assert response.text.count('data-action="emptied"') == 2


def test_gpx_download_is_an_attachment(as_user, driver, day_plan):
    route = day_plan["route"]
    response = as_user(driver).get(route_url(route, "gpx"))
    day = day_plan["plan"].date.isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gpx+xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="route-{day}-truck-a.gpx"'
    )
    root = ElementTree.fromstring(response.content)
    assert len(root.findall("{http://www.topografix.com/GPX/1/1}wpt")) == 3


def test_geojson_download_is_an_attachment(as_user, driver, day_plan):
    route = day_plan["route"]
    response = as_user(driver).get(route_url(route, "geojson"))
    day = day_plan["plan"].date.isoformat()
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="route-{day}-truck-a.geojson"'
    )
    data = json.loads(response.content)
    assert [f["properties"].get("bin") for f in data["features"]] == [
        None,
        None,
        "bin-1",
        "bin-2",
        "bin-3",
    ]


def test_a_route_without_stops_renders(as_user, operator, day_plan):
    from medborg.sensors.tests.factories import VehicleFactory

    empty = make_route(day_plan["plan"], VehicleFactory(code="truck-c"), [])
    response = as_user(operator).get(route_url(empty))
    assert response.status_code == 200
    assert "This route has no stops." in response.text
