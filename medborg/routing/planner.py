"""Plan collection routes: a capacitated vehicle routing problem with time windows.

Pure: no ORM, no settings. The caller gives the stops, the vehicles and the
distance and duration matrices (metres and seconds between locations, as
integers); ``plan`` builds a PyVRP model and solves it for a fixed time.

The model is the problem as given and nothing more, so that the planner finds
routes as good as PyVRP used directly (``bench/routing.py`` holds it to that):

- Bins are pickups (the truck collects waste) in litres and, only when some
  stop has a weight, in kilograms: a load dimension nobody uses would only
  slow the search.
- Vehicles with the same depot, capacity and shift form one vehicle type with
  as many vehicles available, as PyVRP reads CVRPLIB fleets; one type per truck
  would make the search try swaps between identical trucks.
- The objective is distance only; time counts through the windows and shifts.
- ``NO_LIMIT`` as a window's or shift's end means "no limit", PyVRP's own
  default, so an instance without windows stays one without windows.

A required stop that no vehicle can serve on its own (too heavy for every
truck, or its window unreachable within every shift) is left out before
solving. If the remaining stops cannot all be served (not enough trucks or
hours), every required stop is made optional at a prize no detour can
outweigh, so that as many as possible are planned and the rest are reported
in ``PlanResult.unplanned``. That is decided before solving when the load is
more than the whole fleet holds; otherwise only after a first solve finds no
feasible plan, and the second solve takes ``seconds`` again.
"""

import time
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxRuntime

# PyVRP's own default for an open time window end or an unlimited shift.
NO_LIMIT = int(np.iinfo(np.int64).max)

# Why a required stop was not planned (see ``unplanned_reason``).
# What an optional stop is worth, in metres of driving: the planner takes it
# when the detour is shorter. A bin due today that will cross its threshold
# today sits where the trucks are anyway; a bin waiting for its collection day
# that would overflow first is worth 1 km, which came out best in the
# simulation (docs/simulation.md): higher prizes drove further than the
# overflow bin-days they saved.
PRIZE_DUE_SOON_M = 3_000
PRIZE_OVERFLOW_M = 1_000

REASON_CAPACITY = "capacity"
REASON_WINDOW = "window"
REASON_FLEET = "fleet"


@dataclass(frozen=True)
class StopRequest:
    key: str
    location: int
    demand_litres: int
    demand_kg: int
    window_start_s: int
    window_end_s: int
    service_s: int
    optional: bool = False
    prize: int = 0


@dataclass(frozen=True)
class VehicleSpec:
    key: str
    depot: int
    capacity_litres: int
    capacity_kg: int
    shift_start_s: int
    shift_end_s: int


@dataclass(frozen=True)
class Problem:
    stops: list[StopRequest]
    vehicles: list[VehicleSpec]
    distance_m: list[list[int]]
    duration_s: list[list[int]]


@dataclass(frozen=True)
class PlannedStop:
    key: str
    arrival_s: int
    load_litres_after: int


@dataclass(frozen=True)
class PlannedRoute:
    vehicle_key: str
    stops: list[PlannedStop]
    distance_m: int
    duration_s: int
    load_litres: int
    load_kg: int
    start_s: int
    end_s: int


@dataclass(frozen=True)
class PlanResult:
    routes: list[PlannedRoute]
    unplanned: list[str]
    distance_m: int
    duration_s: int
    runtime_s: float
    feasible: bool


def _add(a: int, b: int) -> int:
    return min(NO_LIMIT, a + b)


def can_serve(problem: Problem, stop: StopRequest, vehicle: VehicleSpec) -> bool:
    """Return whether ``vehicle`` alone could serve ``stop`` on an empty route."""
    if stop.demand_litres > vehicle.capacity_litres:
        return False
    if stop.demand_kg > vehicle.capacity_kg:
        return False
    there = problem.duration_s[vehicle.depot][stop.location]
    back = problem.duration_s[stop.location][vehicle.depot]
    arrival = max(_add(vehicle.shift_start_s, there), stop.window_start_s)
    if arrival > stop.window_end_s:
        return False
    return _add(_add(arrival, stop.service_s), back) <= vehicle.shift_end_s


def unplanned_reason(problem: Problem, stop: StopRequest) -> str:
    """Say why a stop was left unplanned: capacity, window or fleet.

    ``capacity``: heavier or bigger than every vehicle; ``window``: its window
    cannot be reached and left within any vehicle's shift; ``fleet``: each
    stop could be served alone, but the vehicles had no room or time left.
    """
    if all(
        stop.demand_litres > v.capacity_litres or stop.demand_kg > v.capacity_kg
        for v in problem.vehicles
    ):
        return REASON_CAPACITY
    if not any(can_serve(problem, stop, v) for v in problem.vehicles):
        return REASON_WINDOW
    return REASON_FLEET


def _vehicle_groups(vehicles: list[VehicleSpec]) -> list[list[VehicleSpec]]:
    groups = defaultdict(list)
    for vehicle in vehicles:
        groups[
            (
                vehicle.depot,
                vehicle.capacity_litres,
                vehicle.capacity_kg,
                vehicle.shift_start_s,
                vehicle.shift_end_s,
            )
        ].append(vehicle)
    return list(groups.values())


def _required_prize(problem: Problem, stops: list[StopRequest], used) -> int:
    # More than any detour (twice the longest edge) plus everything the
    # optional stops could bring in, so dropping a required stop never pays.
    matrix = np.asarray(problem.distance_m, dtype=np.int64)[np.ix_(used, used)]
    optional = sum(s.prize for s in stops if s.optional)
    return int((2 * int(matrix.max()) + 1) * (len(stops) + 1) + optional)


def _data(
    problem: Problem,
    stops: list[StopRequest],
    groups: list[list[VehicleSpec]],
    *,
    required_prize: int | None,
) -> pyvrp.ProblemData:
    """Build the PyVRP model; with ``required_prize`` every stop is optional."""
    depots = sorted({v.depot for v in problem.vehicles})
    used = depots + sorted({s.location for s in stops} - set(depots))
    weighed = any(s.demand_kg for s in stops)

    model = pyvrp.Model()
    locations = {index: model.add_location(x=0, y=0) for index in used}
    depot_of = {
        index: model.add_depot(locations[index], name=str(index)) for index in depots
    }
    for stop in stops:
        load = [stop.demand_litres, stop.demand_kg] if weighed else stop.demand_litres
        required = not stop.optional and required_prize is None
        prize = stop.prize if stop.optional else (required_prize or 0)
        model.add_client(
            locations[stop.location],
            pickup=load,
            service_duration=stop.service_s,
            tw_early=stop.window_start_s,
            tw_late=stop.window_end_s,
            prize=0 if required else prize,
            required=required,
            name=stop.key,
        )
    for group in groups:
        first = group[0]
        capacity = (
            [first.capacity_litres, first.capacity_kg]
            if weighed
            else first.capacity_litres
        )
        model.add_vehicle_type(
            num_available=len(group),
            capacity=capacity,
            start_depot=depot_of[first.depot],
            end_depot=depot_of[first.depot],
            tw_early=first.shift_start_s,
            tw_late=first.shift_end_s,
            name=",".join(v.key for v in group),
        )
    # The matrices replace the edges in one step: a million Edge objects (a
    # thousand stops) cost seconds and memory and describe the same thing.
    selection = np.ix_(used, used)
    distances = np.asarray(problem.distance_m, dtype=np.int64)[selection]
    durations = np.asarray(problem.duration_s, dtype=np.int64)[selection]
    return model.data().replace(
        distance_matrices=[distances], duration_matrices=[durations]
    )


def _routes(
    solution, stops: list[StopRequest], groups: list[list[VehicleSpec]]
) -> list[PlannedRoute]:
    taken = defaultdict(int)
    routes = []
    for route in solution.routes():
        vehicle_type = route.vehicle_type()
        vehicle = groups[vehicle_type][taken[vehicle_type]]
        taken[vehicle_type] += 1
        planned, litres, kg = [], 0, 0
        for activity in route.schedule():
            if not activity.is_client():
                continue
            stop = stops[activity.idx]
            litres += stop.demand_litres
            kg += stop.demand_kg
            planned.append(
                PlannedStop(
                    key=stop.key,
                    arrival_s=int(activity.start_time),
                    load_litres_after=litres,
                )
            )
        routes.append(
            PlannedRoute(
                vehicle_key=vehicle.key,
                stops=planned,
                distance_m=int(route.distance()),
                duration_s=int(route.duration()),
                load_litres=litres,
                load_kg=kg,
                start_s=int(route.start_time()),
                end_s=int(route.end_time()),
            )
        )
    return routes


def _solve(data, seconds: float, seed: int):
    with warnings.catch_warnings():
        # Raised when no feasible solution turns up; ``plan`` handles that.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return pyvrp.solve(
            data, MaxRuntime(seconds), seed=seed, collect_stats=False, display=False
        ).best


def _fleet_too_small(problem: Problem, stops: list[StopRequest]) -> bool:
    required = [s for s in stops if not s.optional]
    return sum(s.demand_litres for s in required) > sum(
        v.capacity_litres for v in problem.vehicles
    ) or sum(s.demand_kg for s in required) > sum(
        v.capacity_kg for v in problem.vehicles
    )


def plan(problem: Problem, *, seconds: float, seed: int = 1) -> PlanResult:
    """Plan routes for ``problem`` in about ``seconds`` of solving (twice if short).

    Returns routes only for vehicles that are used, in PyVRP's order. Required
    stops that cannot be planned are listed in ``unplanned`` (in the order
    given); optional stops left out are not. ``feasible`` is False only if the
    solver found no solution within every capacity, window and shift.
    """
    started = time.perf_counter()
    unplanned = []
    stops = []
    for stop in problem.stops:
        if any(can_serve(problem, stop, v) for v in problem.vehicles):
            stops.append(stop)
        elif not stop.optional:
            unplanned.append(stop.key)

    routes, feasible = [], True
    if stops:
        groups = _vehicle_groups(problem.vehicles)
        solution = None
        if not _fleet_too_small(problem, stops):
            data = _data(problem, stops, groups, required_prize=None)
            solution = _solve(data, seconds, seed)
        if solution is None or not solution.is_feasible():
            depots = sorted({v.depot for v in problem.vehicles})
            used = depots + sorted({s.location for s in stops} - set(depots))
            prize = _required_prize(problem, stops, used)
            data = _data(problem, stops, groups, required_prize=prize)
            solution = _solve(data, seconds, seed)
        feasible = solution.is_feasible()
        routes = _routes(solution, stops, groups)
        visited = {planned.key for route in routes for planned in route.stops}
        unplanned += [s.key for s in stops if not s.optional and s.key not in visited]
    order = {stop.key: index for index, stop in enumerate(problem.stops)}
    return PlanResult(
        routes=routes,
        unplanned=sorted(unplanned, key=order.__getitem__),
        distance_m=sum(route.distance_m for route in routes),
        duration_s=sum(route.duration_s for route in routes),
        runtime_s=round(time.perf_counter() - started, 3),
        feasible=feasible,
    )
