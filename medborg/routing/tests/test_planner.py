"""The planner on small problems whose best plan is known.

Locations lie on a line, one unit of distance and time apart (a metre, a
second); the depot is location 0.
"""

import pytest

from medborg.routing.planner import (
    NO_LIMIT,
    PlannedStop,
    Problem,
    StopRequest,
    VehicleSpec,
    plan,
    unplanned_reason,
)

SECONDS = 0.2


def line(size: int, step: int = 100) -> list[list[int]]:
    return [[abs(i - j) * step for j in range(size)] for i in range(size)]


def stop(key, location, litres=10, kg=0, window=(0, NO_LIMIT), service=0, **extra):
    return StopRequest(
        key=key,
        location=location,
        demand_litres=litres,
        demand_kg=kg,
        window_start_s=window[0],
        window_end_s=window[1],
        service_s=service,
        **extra,
    )


def vehicle(key, litres=100, kg=100, shift=(0, NO_LIMIT), depot=0):
    return VehicleSpec(
        key=key,
        depot=depot,
        capacity_litres=litres,
        capacity_kg=kg,
        shift_start_s=shift[0],
        shift_end_s=shift[1],
    )


def problem(stops, vehicles, size=5, step=100):
    matrix = line(size, step)
    return Problem(stops=stops, vehicles=vehicles, distance_m=matrix, duration_s=matrix)


def test_one_vehicle_visits_every_stop_and_returns():
    result = plan(
        problem([stop("c", 3), stop("a", 1), stop("b", 2)], [vehicle("v")]),
        seconds=SECONDS,
    )

    assert result.feasible is True
    assert result.unplanned == []
    assert len(result.routes) == 1
    route = result.routes[0]
    assert route.vehicle_key == "v"
    assert sorted(s.key for s in route.stops) == ["a", "b", "c"]
    assert route.distance_m == result.distance_m == 600
    assert route.load_litres == 30
    assert [s.load_litres_after for s in route.stops] == [10, 20, 30]


def test_arrival_follows_travel_and_service_time():
    result = plan(
        problem([stop("a", 1, service=30), stop("b", 2, service=30)], [vehicle("v")]),
        seconds=SECONDS,
    )

    stops = result.routes[0].stops
    forward = [PlannedStop("a", 100, 10), PlannedStop("b", 230, 20)]
    backward = [PlannedStop("b", 200, 10), PlannedStop("a", 330, 20)]
    assert stops in (forward, backward)
    assert result.routes[0].duration_s == 460


def test_time_windows_decide_the_order():
    # The far stop must be served first, the near one only late.
    stops = [stop("near", 1, window=(900, 1000)), stop("far", 4, window=(0, 400))]

    result = plan(problem(stops, [vehicle("v")]), seconds=SECONDS)

    route = result.routes[0]
    assert [s.key for s in route.stops] == ["far", "near"]
    assert [s.arrival_s for s in route.stops] == [400, 900]
    assert result.feasible is True


def test_capacity_splits_the_stops_and_only_used_vehicles_have_routes():
    stops = [stop("a", 1, litres=60), stop("b", 2, litres=60)]
    vehicles = [vehicle("v1"), vehicle("v2"), vehicle("v3")]

    result = plan(problem(stops, vehicles), seconds=SECONDS)

    assert len(result.routes) == 2
    assert len({route.vehicle_key for route in result.routes}) == 2
    assert sorted(route.load_litres for route in result.routes) == [60, 60]
    assert result.distance_m == 600


def test_weight_is_a_capacity_too():
    stops = [stop("a", 1, litres=10, kg=70), stop("b", 1, litres=10, kg=70)]

    result = plan(problem(stops, [vehicle("v1"), vehicle("v2")]), seconds=SECONDS)

    assert sorted(route.load_kg for route in result.routes) == [70, 70]


def test_optional_stop_taken_when_its_prize_beats_the_detour():
    stops = [stop("a", 2), stop("extra", 3, optional=True, prize=500)]

    result = plan(problem(stops, [vehicle("v")]), seconds=SECONDS)

    assert sorted(s.key for s in result.routes[0].stops) == ["a", "extra"]


def test_optional_stop_skipped_silently_when_the_detour_costs_more():
    stops = [stop("a", 1), stop("extra", 4, optional=True, prize=100)]

    result = plan(problem(stops, [vehicle("v")]), seconds=SECONDS)

    assert [s.key for s in result.routes[0].stops] == ["a"]
    assert result.unplanned == []
    assert result.feasible is True


def test_required_stop_too_big_for_every_vehicle_is_unplanned():
    stops = [stop("a", 1), stop("huge", 2, litres=500)]
    problem_ = problem(stops, [vehicle("v")])

    result = plan(problem_, seconds=SECONDS)

    assert result.unplanned == ["huge"]
    assert [s.key for s in result.routes[0].stops] == ["a"]
    assert unplanned_reason(problem_, stops[1]) == "capacity"


def test_required_stop_outside_every_shift_is_unplanned():
    stops = [stop("a", 1), stop("late", 2, window=(2000, 3000))]
    problem_ = problem(stops, [vehicle("v", shift=(0, 1000))])

    result = plan(problem_, seconds=SECONDS)

    assert result.unplanned == ["late"]
    assert unplanned_reason(problem_, stops[1]) == "window"


def test_too_small_a_fleet_plans_what_fits_and_lists_the_rest():
    stops = [stop("a", 1, litres=60), stop("b", 2, litres=60), stop("c", 4, litres=60)]
    problem_ = problem(stops, [vehicle("v")])

    result = plan(problem_, seconds=SECONDS)

    assert result.feasible is True
    assert len(result.routes) == 1
    assert len(result.routes[0].stops) == 1
    assert len(result.unplanned) == 2
    assert {unplanned_reason(problem_, s) for s in stops} == {"fleet"}


def test_no_vehicles_leaves_every_required_stop_unplanned():
    stops = [stop("a", 1), stop("b", 2, optional=True, prize=1000)]

    result = plan(problem(stops, []), seconds=SECONDS)

    assert result.routes == []
    assert result.unplanned == ["a"]
    assert result.distance_m == 0


def test_vehicles_start_at_their_own_depot():
    # Depot of v2 at location 4, next to the only stop.
    result = plan(
        problem([stop("a", 3)], [vehicle("v1", depot=0), vehicle("v2", depot=4)]),
        seconds=SECONDS,
    )

    assert [route.vehicle_key for route in result.routes] == ["v2"]
    assert result.distance_m == 200


@pytest.mark.parametrize("seed", [1, 2])
def test_shift_start_delays_the_first_arrival(seed):
    result = plan(
        problem([stop("a", 1)], [vehicle("v", shift=(21600, 54000))]),
        seconds=SECONDS,
        seed=seed,
    )

    route = result.routes[0]
    assert route.start_s == 21600
    assert route.stops[0].arrival_s == 21700
    assert route.end_s == 21800
