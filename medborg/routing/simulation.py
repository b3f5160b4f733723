"""Simulate a municipality's public bins: a fixed weekly round against sensors.

Pure: no ORM, no settings. The caller builds a ``Town`` (``make_town``), the
daily fill of every bin (``daily_fill``), the distance and duration matrices
over ``Town.points``, picks a policy (``medborg.routing.policies``) and passes
the route planner in (``planner.plan`` in the benchmark, a stand-in in the
tests), so every policy is routed by the same solver and only the choice of
bins differs.

The model, day by day (``simulate``):

1. In the morning each sensor reports its bin's level, at most 100 %.
2. On working days (Monday to Friday) the policy picks bins; the planner routes
   them; every bin on a route is emptied to 0 % (its fill at emptying is the
   morning level, at most 100 %). Required bins the planner could not fit stay.
3. The day's waste is added. A bin above 100 % at the end of a day counts one
   overflow bin-day; its level keeps rising (the waste lies beside it).

A bin fills ``scale × base × weekday factor × season × noise`` percent a day:
``base`` is lognormal across bins (median 1), the weekday factors depend on
whether the bin stands by a street or in a park (parks fill at weekends), the
season peaks in mid-July, and the noise is lognormal with mean 1. ``calibrate``
finds the ``scale`` at which the fixed round empties bins at a given average
fill, as measured in real cities.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from medborg.routing.planner import Problem, StopRequest, VehicleSpec

CENTRE = (56.8777, 14.8091)
KM_PER_DEGREE = 111.32
# Each seven factors, Monday first, with mean 1: streets are busiest on
# working days and Friday nights, parks and beaches at weekends.
WEEKDAY_FACTORS = {
    "street": (1.1, 1.1, 1.1, 1.1, 1.2, 0.8, 0.6),
    "park": (0.75, 0.75, 0.75, 0.85, 1.1, 1.4, 1.4),
}
PARK_SHARE = 0.3
SEASON_AMPLITUDE = 0.25
SEASON_PEAK = 196  # day of the year: 15 July
BASE_SIGMA = 0.5  # spread of the base rate across bins (lognormal)
NOISE_SIGMA = 0.25  # day-to-day spread of one bin's fill (lognormal)
VOLUMES = ((140, 0.3), (240, 0.5), (370, 0.2))  # litres, share of bins
WORKING_DAYS = 5  # Monday to Friday
SHIFT = (6 * 3600, 15 * 3600)


@dataclass(frozen=True)
class Bin:
    key: str
    location: int  # index into Town.points
    volume_litres: int
    base: float  # relative fill speed, median 1 across bins
    profile: str  # a key of WEEKDAY_FACTORS
    round_weekday: int  # the fixed round's day, 0 = Monday


@dataclass(frozen=True)
class Town:
    points: list[tuple[float, float]]  # depots first, then bins
    depots: list[int]
    bins: list[Bin]
    vehicles: list[VehicleSpec]


@dataclass(frozen=True)
class Selection:
    required: list[int]  # indices into Town.bins
    optional: dict[int, int]  # index into Town.bins → prize in metres


@dataclass
class Outcome:
    policy: str
    kilometres: float = 0.0
    collections: int = 0
    overflow_bin_days: int = 0
    bin_days: int = 0
    fill_sum: float = 0.0
    unplanned: int = 0
    truck_days: int = 0
    solver_seconds: float = 0.0
    daily_km: list[float] | None = None

    @property
    def mean_fill(self) -> float:
        """Average fill at emptying, percent (0 without collections)."""
        return self.fill_sum / self.collections if self.collections else 0.0

    @property
    def service_level(self) -> float:
        """Share of bin-days that ended at or below 100 % (1 without days)."""
        return 1 - self.overflow_bin_days / self.bin_days if self.bin_days else 1.0


def _offset(km_north: float, km_east: float) -> tuple[float, float]:
    lat = CENTRE[0] + km_north / KM_PER_DEGREE
    lon = CENTRE[1] + km_east / (KM_PER_DEGREE * math.cos(math.radians(CENTRE[0])))
    return (round(lat, 6), round(lon, 6))


def _bin_offsets(rng: np.random.Generator, count: int, radius_km: float):
    """Scatter (north, east) offsets: a dense town, villages, then countryside."""
    kind = rng.choice(3, size=count, p=(0.55, 0.2, 0.25))
    villages = [
        (r * math.cos(a), r * math.sin(a))
        for r, a in zip(
            rng.uniform(0.5 * radius_km, 0.9 * radius_km, 5),
            rng.uniform(0, 2 * math.pi, 5),
            strict=True,
        )
    ]
    offsets = []
    for k in kind:
        if k == 0:
            north, east = rng.normal(0, radius_km / 7, 2)
        elif k == 1:
            centre = villages[rng.integers(len(villages))]
            north, east = np.asarray(centre) + rng.normal(0, 0.6, 2)
        else:
            r, a = radius_km * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
            north, east = r * math.cos(a), r * math.sin(a)
        scale = min(1.0, radius_km / max(math.hypot(north, east), 1e-9))
        offsets.append((north * scale, east * scale))
    return offsets


def _round_weekdays(offsets) -> list[int]:
    """Split the bins into five sectors around the centre, equal in count."""
    angles = [math.atan2(north, east) for north, east in offsets]
    order = sorted(range(len(offsets)), key=angles.__getitem__)
    days = [0] * len(offsets)
    for rank, index in enumerate(order):
        days[index] = rank * WORKING_DAYS // len(offsets)
    return days


def make_town(
    *,
    bins: int,
    trucks: int = 4,
    seed: int = 1,
    radius_km: float = 15.0,
    capacity_litres: int = 40_000,
) -> Town:
    """Build a municipality around CENTRE: two depots, bins, trucks shared out.

    The same arguments give the same town.
    """
    rng = np.random.default_rng(seed)
    depots = [_offset(-2.5, -3.0), _offset(3.0, 4.0)]
    offsets = _bin_offsets(rng, bins, radius_km)
    weekdays = _round_weekdays(offsets)
    bases = np.exp(rng.normal(0, BASE_SIGMA, bins))
    volumes, shares = zip(*VOLUMES, strict=True)
    chosen = rng.choice(volumes, size=bins, p=shares)
    parks = rng.uniform(size=bins) < PARK_SHARE
    town_bins = [
        Bin(
            key=f"bin-{n:05d}",
            location=len(depots) + n,
            volume_litres=int(chosen[n]),
            base=float(bases[n]),
            profile="park" if parks[n] else "street",
            round_weekday=weekdays[n],
        )
        for n in range(bins)
    ]
    vehicles = [
        VehicleSpec(
            key=f"truck-{n + 1}",
            depot=n % len(depots),
            capacity_litres=capacity_litres,
            capacity_kg=0,
            shift_start_s=SHIFT[0],
            shift_end_s=SHIFT[1],
        )
        for n in range(trucks)
    ]
    points = depots + [_offset(*offset) for offset in offsets]
    return Town(points=points, depots=[0, 1], bins=town_bins, vehicles=vehicles)


def season_factor(day: date) -> float:
    """Return the season's factor for ``day``: 1 ± SEASON_AMPLITUDE, top in July."""
    angle = 2 * math.pi * (day.timetuple().tm_yday - SEASON_PEAK) / 365
    return 1 + SEASON_AMPLITUDE * math.cos(angle)


def daily_fill(town: Town, *, start: date, days: int, seed: int = 1) -> np.ndarray:
    """Return each day's fill per bin (days × bins) at scale 1, i.e. relative.

    Multiply by the calibrated scale for percent. The same seed gives the same
    noise.
    """
    rng = np.random.default_rng(seed)
    bases = np.array([b.base for b in town.bins])
    factors = np.array([WEEKDAY_FACTORS[b.profile] for b in town.bins])  # bins × 7
    fill = np.empty((days, len(town.bins)))
    for d in range(days):
        day = start + timedelta(days=d)
        noise = np.exp(rng.normal(0, NOISE_SIGMA, len(town.bins)) - NOISE_SIGMA**2 / 2)
        fill[d] = bases * factors[:, day.weekday()] * season_factor(day) * noise
    return fill


def initial_levels(town: Town, *, start: date) -> np.ndarray:
    """Return the relative levels on the first morning as the fixed round left them.

    A bin whose round day is ``start``'s weekday was emptied a week ago; one
    emptied yesterday holds one day's fill. Multiply by the scale as for fill.
    """
    today = start.weekday()
    since = np.array([(today - b.round_weekday) % 7 or 7 for b in town.bins])
    bases = np.array([b.base for b in town.bins])
    return since * bases * season_factor(start)


def working_day(day: date) -> bool:
    return day.weekday() < WORKING_DAYS


def day_problem(
    town: Town,
    selection: Selection,
    levels: np.ndarray,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    *,
    service_s: int,
) -> Problem:
    """Return the day's routing problem over the depots and the chosen bins only.

    Stop keys are the bins' indices; a bin's load is its morning level (at most
    100 %) of its volume; it may be emptied during the trucks' shift.
    """
    chosen = selection.required + sorted(selection.optional)
    locations = town.depots + [town.bins[i].location for i in chosen]
    pick = np.ix_(locations, locations)
    stops = [
        StopRequest(
            key=str(i),
            location=len(town.depots) + n,
            demand_litres=round(
                min(levels[i], 100.0) / 100 * town.bins[i].volume_litres
            ),
            demand_kg=0,
            window_start_s=SHIFT[0],
            window_end_s=SHIFT[1],
            service_s=service_s,
            optional=i in selection.optional,
            prize=selection.optional.get(i, 0),
        )
        for n, i in enumerate(chosen)
    ]
    vehicles = [
        VehicleSpec(
            key=v.key,
            depot=town.depots.index(v.depot),
            capacity_litres=v.capacity_litres,
            capacity_kg=v.capacity_kg,
            shift_start_s=v.shift_start_s,
            shift_end_s=v.shift_end_s,
        )
        for v in town.vehicles
    ]
    return Problem(
        stops=stops,
        vehicles=vehicles,
        distance_m=distance_m[pick].tolist(),
        duration_s=duration_s[pick].tolist(),
    )


def simulate(
    town: Town,
    policy,
    *,
    fill: np.ndarray,
    levels: np.ndarray,
    start: date,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    plan,
    seconds: float,
    seed: int = 1,
    service_s: int = 90,
) -> Outcome:
    """Run ``policy`` over ``len(fill)`` days from ``start`` and count the outcome.

    ``fill`` (days × bins) and ``levels`` (the first morning) are in percent;
    ``plan`` is called like ``planner.plan``. Deterministic when ``plan`` is.
    """
    level = np.asarray(levels, dtype=float).copy()
    outcome = Outcome(policy=policy.name, daily_km=[])
    for d in range(len(fill)):
        day = start + timedelta(days=d)
        selection = policy.morning(day, np.minimum(level, 100.0))
        kilometres = 0.0
        if selection.required or selection.optional:
            problem = day_problem(
                town, selection, level, distance_m, duration_s, service_s=service_s
            )
            result = plan(problem, seconds=seconds, seed=seed)
            emptied = [int(s.key) for route in result.routes for s in route.stops]
            outcome.collections += len(emptied)
            outcome.fill_sum += float(np.minimum(level[emptied], 100.0).sum())
            outcome.unplanned += len(result.unplanned)
            outcome.truck_days += len(result.routes)
            outcome.solver_seconds += result.runtime_s
            kilometres = result.distance_m / 1000
            level[emptied] = 0.0
            policy.emptied(emptied)
        outcome.kilometres += kilometres
        outcome.daily_km.append(round(kilometres, 3))
        level += fill[d]
        outcome.overflow_bin_days += int((level > 100.0).sum())
        outcome.bin_days += len(level)
    return outcome


def fixed_round_fill(
    town: Town, *, fill: np.ndarray, levels: np.ndarray, start: date
) -> float:
    """Return the fixed round's average fill at emptying, percent, if it empties
    every bin on its day (no routing: the round's bins do not depend on routes).
    """
    weekdays = np.array([b.round_weekday for b in town.bins])
    level = np.asarray(levels, dtype=float).copy()
    total, count = 0.0, 0
    for d in range(len(fill)):
        day = start + timedelta(days=d)
        if working_day(day):
            due = weekdays == day.weekday()
            total += float(np.minimum(level[due], 100.0).sum())
            count += int(due.sum())
            level[due] = 0.0
        level += fill[d]
    return total / count if count else 0.0


def calibrate(
    town: Town,
    *,
    fill: np.ndarray,
    levels: np.ndarray,
    start: date,
    target: float = 55.0,
    tolerance: float = 0.01,
) -> float:
    """Return the scale (percent a day for a median bin on an average day) at
    which the fixed round empties bins at ``target`` percent on average.

    ``fill`` and ``levels`` are relative (``daily_fill``, ``initial_levels``).
    The average grows with the scale (capped at 100 %), so bisection finds it
    to within ``tolerance`` percentage points; raises ValueError for a target
    outside 0–100.
    """
    if not 0 < target < 100:
        raise ValueError(f"target must be between 0 and 100, not {target}")
    low, high = 0.0, 100.0
    while True:
        scale = (low + high) / 2
        got = fixed_round_fill(
            town, fill=scale * fill, levels=scale * levels, start=start
        )
        if abs(got - target) <= tolerance or high - low < 1e-9:
            return scale
        low, high = (scale, high) if got < target else (low, scale)
