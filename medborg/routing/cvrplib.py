"""Solve CVRPLIB instances with the route planner, and cost them as CVRPLIB does.

Pure: no ORM. An instance is read with ``vrplib`` (PyVRP's own reader). Its
distances are Euclidean, rounded to the nearest integer (``nint``, as the X
set of Uchoa et al. defines them); they serve as both distance and duration,
as PyVRP assumes for VRPLIB files. Each customer becomes a stop whose demand
is its ``demand_litres`` (no weight), with no time window, no service time;
the fleet is unlimited (one vehicle per customer, all alike, at the depot),
which is what CVRPLIB's X instances mean.

Customers are numbered as in CVRPLIB's ``.sol`` files: the depot is 0 and the
customers are 1 … n in the order of the ``.vrp`` file (file node ``i + 1``),
so a route printed here can be checked against a published solution.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from medborg.routing import planner


@dataclass(frozen=True)
class Instance:
    name: str
    capacity: int
    # Index 0 is the depot.
    demands: list[int]
    distance: np.ndarray


def read(path: str | Path) -> Instance:
    """Read a CVRPLIB ``.vrp`` file; raise ValueError if it is not a one-depot CVRP."""
    data = vrplib.read_instance(str(path))
    depots = np.atleast_1d(data.get("depot", [0]))
    if list(depots) != [0]:
        raise ValueError(f"{path}: only instances with one depot at node 1 are read")
    if "capacity" not in data or "demand" not in data:
        raise ValueError(f"{path}: a CVRP instance needs CAPACITY and DEMAND_SECTION")
    return Instance(
        name=str(data.get("name", Path(path).stem)),
        capacity=int(data["capacity"]),
        demands=[int(d) for d in np.atleast_1d(data["demand"])],
        distance=np.round(data["edge_weight"]).astype(np.int64),
    )


def problem(instance: Instance) -> planner.Problem:
    """Return the planner's problem for ``instance``, as described above."""
    customers = range(1, len(instance.demands))
    matrix = instance.distance.tolist()
    stops = [
        planner.StopRequest(
            key=str(customer),
            location=customer,
            demand_litres=instance.demands[customer],
            demand_kg=0,
            window_start_s=0,
            window_end_s=planner.NO_LIMIT,
            service_s=0,
        )
        for customer in customers
    ]
    vehicles = [
        planner.VehicleSpec(
            key=str(number),
            depot=0,
            capacity_litres=instance.capacity,
            capacity_kg=0,
            shift_start_s=0,
            shift_end_s=planner.NO_LIMIT,
        )
        for number in range(1, len(customers) + 1)
    ]
    return planner.Problem(
        stops=stops, vehicles=vehicles, distance_m=matrix, duration_s=matrix
    )


def cost(instance: Instance, routes: list[list[int]]) -> int:
    """Return CVRPLIB's cost of ``routes`` (customer numbers, depot left out)."""
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += int(instance.distance[path[:-1], path[1:]].sum())
    return total


def solve(path: str | Path, *, seconds: float, seed: int = 1) -> dict:
    """Solve the instance at ``path`` with ``planner.plan``; return the JSON result.

    Keys: ``instance``, ``cost`` (CVRPLIB's, recomputed from the routes),
    ``routes`` (customer numbers as in ``.sol`` files), ``seconds`` (time
    spent in the planner), ``vehicles`` (routes used), ``feasible``.
    """
    instance = read(path)
    result = planner.plan(problem(instance), seconds=seconds, seed=seed)
    routes = [[int(stop.key) for stop in route.stops] for route in result.routes]
    return {
        "instance": instance.name,
        "cost": cost(instance, routes),
        "routes": routes,
        "seconds": result.runtime_s,
        "vehicles": len(routes),
        "feasible": result.feasible and not result.unplanned,
    }
