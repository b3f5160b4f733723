from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

import pytest

from medborg.accounts.models import User
from medborg.routing import demo, selectors, tasks
from medborg.routing.distances import DistanceError
from medborg.routing.models import Depot, Route, RoutePlan, Stop, Vehicle
from medborg.routing.services import planning
from medborg.sensors import selectors as sensors
from medborg.sensors.models import Fraction
from medborg.sensors.tests.factories import (
    BinFactory,
    DeviceFactory,
    ReadingFactory,
    VehicleFactory,
)

TUESDAY = date(2026, 11, 24)
ZONE = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def _planning_settings(settings):
    settings.OSRM_URL = ""
    settings.ROAD_FACTOR = 1.3
    settings.TRUCK_SPEED_KMH = 30
    settings.STOP_SECONDS = 60
    settings.PLAN_SECONDS = 1
    settings.TIME_ZONE = "Europe/Stockholm"


@pytest.fixture
def to_collect(monkeypatch):
    """Replace bins_to_collect with the (bin, case, optional) items given.

    An optional item is a bin due today that will cross its threshold
    (``Need.SOON``); a third item of a ``Need`` value is taken as it is.
    """
    items = []

    def need(value):
        if isinstance(value, bool):
            return sensors.Need.SOON if value else sensors.Need.DUE
        return value

    monkeypatch.setattr(
        sensors,
        "bins_to_collect",
        lambda *, date: [sensors.ToCollect(b, c, need(v)) for b, c, v in items],
    )
    return items


def test_plan_day_stores_routes_with_ordered_stops(db, to_collect):
    truck = VehicleFactory()
    bins = [BinFactory() for _ in range(3)]
    to_collect += [(b, None, False) for b in bins]
    user = User.objects.create_user("operator")

    plan = planning.plan_day(date=TUESDAY, by=user, seconds=0.3)

    assert plan.date == TUESDAY
    assert plan.created_by == user
    assert plan.distance_source == "haversine"
    assert plan.unplanned == []
    assert plan.baseline_distance_m is None
    route = Route.objects.get(plan=plan)
    assert route.vehicle == truck
    assert route.distance_m == plan.distance_m > 0
    stops = list(Stop.objects.filter(route=route).order_by("position"))
    assert [s.position for s in stops] == [1, 2, 3]
    assert {s.bin for s in stops} == set(bins)
    assert [s.load_litres_after for s in stops] == [528, 1056, 1584]
    assert route.load_litres == 1584
    assert route.load_kg == 3 * 80  # 528 l of residual waste at 0.15 kg/l


def test_arrivals_are_aware_and_inside_the_bins_window(db, to_collect):
    VehicleFactory()
    to_collect.append(
        (BinFactory(window_start=time(9), window_end=time(10)), None, False)
    )

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    stop = Stop.objects.get(route__plan=plan)
    local = stop.arrives_at.astimezone(ZONE)
    assert local.date() == TUESDAY
    assert time(9) <= local.time() <= time(10)
    route = stop.route
    assert route.starts_at.astimezone(ZONE).time() >= time(6)
    assert route.ends_at.astimezone(ZONE).time() <= time(15)


def test_optional_stops_are_marked_and_worth_less_than_required(db, to_collect):
    VehicleFactory()
    required, optional = BinFactory(), BinFactory()
    to_collect += [(required, None, False), (optional, None, True)]

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    flags = dict(Stop.objects.filter(route__plan=plan).values_list("bin", "optional"))
    assert flags == {required.pk: False, optional.pk: True}


@pytest.mark.parametrize(
    ("need", "taken"), [(sensors.Need.SOON, True), (sensors.Need.OVERFLOW, False)]
)
def test_a_bin_waiting_for_its_day_is_worth_a_shorter_detour(
    db, to_collect, need, taken
):
    # A round trip of about 2.3 km (0.9 km away, road factor 1.3) from a stop
    # by the depot: worth it for a bin due today (3 km), not for one whose
    # collection day is another (1 km).
    VehicleFactory()
    to_collect.append((BinFactory(latitude=59.8590, longitude=17.6395), None, False))
    away = BinFactory(latitude=59.8667, longitude=17.6395)
    to_collect.append((away, None, need))

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert Stop.objects.filter(route__plan=plan, bin=away).exists() is taken


def test_bin_closed_that_weekday_is_unplanned_with_reason(db, to_collect):
    VehicleFactory()
    closed = BinFactory(code="closed", window_weekdays=[0])
    closed_optional = BinFactory(code="closed-optional", window_weekdays=[0])
    to_collect += [(closed, None, False), (closed_optional, None, True)]

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert plan.unplanned == [
        {"bin_id": closed.pk, "bin": "closed", "reason": "not_today"}
    ]
    assert Route.objects.filter(plan=plan).count() == 0


def test_fraction_no_vehicle_carries_is_unplanned(db, to_collect):
    VehicleFactory(fractions=[Fraction.RESIDUAL])
    glass = BinFactory(code="glass", fraction=Fraction.GLASS)
    to_collect += [(BinFactory(), None, False), (glass, None, False)]

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert plan.unplanned == [
        {"bin_id": glass.pk, "bin": "glass", "reason": "no_vehicle"}
    ]
    assert Stop.objects.filter(route__plan=plan).count() == 1


def test_a_truck_gets_one_route_when_two_fractions_are_due(db, to_collect):
    both = VehicleFactory(code="both")
    paper_only = VehicleFactory(code="paper", fractions=[Fraction.PAPER])
    to_collect += [
        (BinFactory(), None, False),
        (BinFactory(fraction=Fraction.PAPER), None, False),
    ]

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    routes = {r.vehicle: r.stops.get().bin.fraction for r in plan.routes.all()}
    assert routes == {both: Fraction.RESIDUAL, paper_only: Fraction.PAPER}


def test_too_much_waste_for_the_fleet_is_unplanned_as_fleet(db, to_collect):
    VehicleFactory(capacity_litres=1000)
    bins = [BinFactory(code=f"b{n}") for n in range(3)]
    to_collect += [(b, None, False) for b in bins]

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert len(plan.unplanned) == 2
    assert {item["reason"] for item in plan.unplanned} == {"fleet"}
    assert Stop.objects.filter(route__plan=plan).count() == 1


def test_baseline_is_the_fixed_round_of_that_weekday(db, to_collect):
    VehicleFactory()
    # Placed, not drawn from the factory's sequence: the test's outcome must
    # not depend on which tests ran before it.
    near_depot = {"latitude": 59.8590, "longitude": 17.6395}
    to_collect.append((BinFactory(**near_depot), None, False))
    round_bins = [
        BinFactory(
            round_weekday=TUESDAY.weekday(),
            latitude=59.87 + n * 0.002,
            longitude=17.66,
        )
        for n in range(4)
    ]
    BinFactory(round_weekday=0)

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert plan.baseline_distance_m > plan.distance_m
    assert Stop.objects.filter(route__plan=plan, bin__in=round_bins).count() == 0


@pytest.mark.parametrize(
    ("fill", "fraction", "expected"),
    [
        (None, Fraction.RESIDUAL, (528, 80)),
        (50.0, Fraction.RESIDUAL, (528, 80)),
        (95.0, Fraction.GLASS, (627, 220)),
        (130.0, Fraction.ORGANIC, (660, 330)),
    ],
)
def test_demand_is_volume_at_fill_or_threshold(fill, fraction, expected):
    bin = BinFactory.build(volume_litres=660, threshold_percent=80, fraction=fraction)

    assert planning.demand(bin, fill) == expected


def test_latest_fill_counts_in_demand(db, to_collect):
    VehicleFactory()
    device = DeviceFactory()
    ReadingFactory(device=device, fill_percent=95.0)
    to_collect.append((device.bin, None, False))

    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    assert plan.routes.get().load_litres == 627


def test_assign_fleet_gives_each_vehicle_one_fraction():
    wide = VehicleFactory.build(code="wide", capacity_litres=10_000)
    glass = VehicleFactory.build(code="glass", fractions=["glass"])
    idle = VehicleFactory.build(code="idle", fractions=["organic"])

    fleet = planning.assign_fleet(
        [wide, glass, idle], {"residual": 8_000, "glass": 30_000}
    )

    # The glass-only truck chooses first; glass still lacks the most litres.
    assert fleet == {"glass": [glass, wide]}


def test_moment_counts_elapsed_seconds_on_a_daylight_saving_day():
    # Clocks go forward at 02:00 on 29 March 2026: 5 h after midnight is 06:00.
    at = planning.moment(date(2026, 3, 29), 5 * 3600, ZONE)

    assert at == datetime(2026, 3, 29, 6, 0, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 29), 5 * 3600),
        (date(2026, 10, 25), 7 * 3600),
        (TUESDAY, 6 * 3600),
    ],
)
def test_six_in_the_morning_after_midnight_on_daylight_saving_days(day, expected):
    assert planning.seconds_after_midnight(day, time(6), ZONE) == expected


def test_osrm_failure_stores_nothing(db, to_collect, settings):
    settings.OSRM_URL = "http://127.0.0.1:9"
    VehicleFactory()
    to_collect.append((BinFactory(), None, False))

    with pytest.raises(DistanceError):
        planning.plan_day(date=TUESDAY, seconds=0.2)

    assert RoutePlan.objects.count() == 0


def test_plan_routes_command_prints_a_summary(db, to_collect):
    VehicleFactory(code="truck-a")
    to_collect += [(BinFactory(), None, False), (BinFactory(), None, False)]
    BinFactory(round_weekday=TUESDAY.weekday())
    out = StringIO()

    call_command("plan_routes", "--date", "2026-11-24", "--seconds", "0.2", stdout=out)

    plan = RoutePlan.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"Plan {plan.pk} for 2026-11-24: 1 routes, 2 stops, ")
    assert lines[1].startswith("Fixed round: ")
    assert lines[2].startswith("  truck-a: 2 stops, ")


def test_plan_day_task_plans_for_the_user(db, to_collect):
    VehicleFactory()
    to_collect.append((BinFactory(), None, False))
    user = User.objects.create_user("operator")

    plan_id = tasks.plan_day.call("2026-11-24", user.pk)

    plan = RoutePlan.objects.get(pk=plan_id)
    assert (plan.date, plan.created_by) == (TUESDAY, user)


def test_current_plan_is_the_newest_of_the_day(db, to_collect):
    VehicleFactory()
    to_collect.append((BinFactory(), None, False))
    planning.plan_day(date=TUESDAY, seconds=0.1)
    newest = planning.plan_day(date=TUESDAY, seconds=0.1)

    assert selectors.current_plan(TUESDAY) == newest
    assert selectors.current_plan(date(2026, 11, 25)) is None


def test_plan_with_routes_reads_in_three_queries(
    db, to_collect, django_assert_num_queries
):
    VehicleFactory(code="a")
    VehicleFactory(code="b")
    to_collect += [(BinFactory(), None, False) for _ in range(3)]
    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    with django_assert_num_queries(3):
        found = selectors.plan_with_routes(plan.pk)
        stops = [s.bin.code for r in found.routes.all() for s in r.stops.all()]

    assert len(stops) == 3


def test_route_for_driver_has_its_stops_in_order(db, to_collect):
    VehicleFactory()
    to_collect += [(BinFactory(), None, False) for _ in range(2)]
    plan = planning.plan_day(date=TUESDAY, seconds=0.2)

    route = selectors.route_for_driver(plan.routes.get().pk)

    assert [s.position for s in route.stops.all()] == [1, 2]
    assert selectors.route_for_driver(0) is None


def test_load_fleet_twice_makes_two_depots_and_four_vehicles(db):
    demo.load_fleet()
    fleet = demo.load_fleet()

    assert len(fleet["depots"]) == Depot.objects.count() == 2
    assert len(fleet["vehicles"]) == Vehicle.objects.count() == 4
    assert {(v.shift_start, v.shift_end) for v in fleet["vehicles"]} == {
        (time(6), time(15))
    }


def test_plan_demo_day_without_vehicles_is_none(db):
    assert demo.plan_demo_day() is None


def test_plan_demo_day_plans_today(db, to_collect, settings):
    demo.load_fleet()
    latitude, longitude = settings.MAP_CENTER
    bin = BinFactory(
        latitude=latitude, longitude=longitude, window_weekdays=list(range(7))
    )
    to_collect.append((bin, None, False))

    plan = demo.plan_demo_day()

    assert plan.date == timezone.localdate()
    assert plan.routes.count() == 1
