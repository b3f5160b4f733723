"""A planned day built row by row (no solver): one plan, two routes, their stops."""

from datetime import datetime, time, timedelta

from django.utils import timezone

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.catalog.models import Question
from medborg.catalog.tests.factories import QuestionFactory, ServiceFactory
from medborg.processes.tests.factories import ProcessFactory
from medborg.routing.models import Route, RoutePlan, Stop
from medborg.sensors.tests.factories import (
    BinFactory,
    DepotFactory,
    ReadingFactory,
    VehicleFactory,
)

DAY = timezone.localdate
EMPTYING_STEPS = [
    ("to-empty", "To be emptied", 1, "", ["emptied", "not-needed"]),
    ("emptied", "Emptied", None, "resolved", []),
    ("not-needed", "Not needed", None, "rejected", []),
]


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def emptying_service(db):
    """The bin-emptying service as docs/bins.md defines it (the parts used here)."""
    team = TeamFactory(slug="waste-collection")
    process = ProcessFactory(key="bin-emptying", steps=EMPTYING_STEPS, steps__team=team)
    service = ServiceFactory(
        slug="bin-emptying", code="bin-emptying", team=team, process=process
    )
    QuestionFactory(service=service, key="bin", kind=Question.Kind.TEXT)
    QuestionFactory(
        service=service, key="fill-level", kind=Question.Kind.NUMBER, required=False
    )
    QuestionFactory(
        service=service, key="reason", kind=Question.Kind.TEXT, required=False
    )
    return service


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role="operator")


@pytest.fixture
def driver(db):
    return UserFactory(username="driver", role="driver")


@pytest.fixture
def other_driver(db):
    return UserFactory(username="other-driver", role="driver")


def make_route(plan, vehicle, bins, *, start_hour=7):
    day = plan.date
    route = Route.objects.create(
        plan=plan,
        vehicle=vehicle,
        distance_m=12_300,
        duration_s=3 * 3600,
        load_litres=sum(b.volume_litres for b in bins),
        load_kg=60 * len(bins),
        starts_at=at(day, start_hour),
        ends_at=at(day, start_hour + 3),
    )
    for position, bin in enumerate(bins, start=1):
        Stop.objects.create(
            route=route,
            position=position,
            bin=bin,
            arrives_at=at(day, start_hour) + timedelta(minutes=20 * position),
            load_litres_after=bin.volume_litres * position,
        )
    return route


def make_plan(day, *, minutes_ago=0, distance_m=20_000, baseline_m=50_000):
    return RoutePlan.objects.create(
        date=day,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        distance_source="haversine",
        solver_seconds=1.0,
        distance_m=distance_m,
        duration_s=5 * 3600,
        baseline_distance_m=baseline_m,
        unplanned=[{"bin": "far-away", "reason": "window"}],
    )


@pytest.fixture
def day_plan(driver, other_driver):
    """Today's plan: "truck-a" (driver) with 3 stops, "truck-b" (other) with 2."""
    depot = DepotFactory(code="north", name="North depot")
    truck_a = VehicleFactory(code="truck-a", name="Truck A", depot=depot, driver=driver)
    truck_b = VehicleFactory(
        code="truck-b", name="Truck B", depot=depot, driver=other_driver
    )
    bins = [
        BinFactory(code=f"bin-{n}", name=f"Torget {n}", volume_litres=660)
        for n in range(1, 6)
    ]
    BinFactory(code="far-away", name="Far away")
    ReadingFactory(device__bin=bins[0], fill_percent=87.0)
    plan = make_plan(DAY())
    return {
        "plan": plan,
        "route": make_route(plan, truck_a, bins[:3]),
        "other_route": make_route(plan, truck_b, bins[3:], start_hour=8),
        "bins": bins,
    }
