"""Plan a day's collection routes and store the plan.

What is planned: every bin ``medborg.sensors.selectors.bins_to_collect`` lists
for the day. A bin whose emptying case is due today is a required stop; a bin
due today that is forecast to cross its threshold by the end of the day, and
one waiting for its collection day that would overflow first, are optional
stops, which the planner takes when the detour is worth less than their prize
(``PRIZE_M``, in metres of driving). How much each stop loads (see
``demand``): the bin's volume times the larger of its latest fill level and its
threshold, and in kilograms that volume times the fraction's density
(``DENSITY_KG_PER_LITRE``).
A bin may be emptied on the weekdays and between the times it names; each
stop takes ``STOP_SECONDS``.

Trucks do not mix fractions: each active vehicle collects one fraction for the
day, chosen among those it carries for the fraction with the most litres not
yet covered by vehicles already given to it (``assign_fleet``). Each fraction
is then planned on its own with its vehicles, so a truck gets at most one
route a day.

The fixed weekly round's distance for the same day (``baseline_distance_m``)
is planned the same way over the bins whose round falls on that weekday, all
required, over the same distances: the kilometres saved compare like with
like. Planning therefore takes about twice ``seconds``.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from medborg.routing import distances, planner, selectors
from medborg.routing.models import Route, RoutePlan, Stop, Vehicle
from medborg.sensors import selectors as sensors
from medborg.sensors.models import Bin, Fraction

# Loose (uncompacted) bulk density of each fraction in a public bin, kg per
# litre, from Swedish and Danish municipal pick analyses (Avfall Sverige,
# Miljøstyrelsen): food waste is wet and heavy, packaging mostly air.
DENSITY_KG_PER_LITRE = {
    Fraction.RESIDUAL: 0.15,
    Fraction.PACKAGING: 0.05,
    Fraction.PAPER: 0.10,
    Fraction.GLASS: 0.35,
    Fraction.ORGANIC: 0.50,
}
# What an optional stop is worth (planner.PRIZE_*): required stops are always
# planned when they can be, so they outrank both.
PRIZE_M = {
    sensors.Need.SOON: planner.PRIZE_DUE_SOON_M,
    sensors.Need.OVERFLOW: planner.PRIZE_OVERFLOW_M,
}

# Why a bin with an open case was not planned (stored in RoutePlan.unplanned).
NOT_TODAY = "not_today"
NO_VEHICLE = "no_vehicle"
UNPLANNED_REASONS = {
    NOT_TODAY: _("The bin may not be emptied on this weekday"),
    NO_VEHICLE: _("No vehicle in use carries this waste fraction"),
    planner.REASON_CAPACITY: _("Too much for any vehicle"),
    planner.REASON_WINDOW: _("Its time window cannot be reached within any shift"),
    planner.REASON_FLEET: _("No vehicle had room or time left"),
}


@dataclass(frozen=True)
class Candidate:
    bin: Bin
    case_id: int | None
    need: str = sensors.Need.DUE

    @property
    def optional(self) -> bool:
        return self.need != sensors.Need.DUE


def demand(bin: Bin, fill_percent: float | None) -> tuple[int, int]:
    """Return the litres and kilograms ``bin`` adds to a truck when emptied.

    A bin is planned at its threshold at least (a bin opened by a citizen's
    report may have no reading) and at most full.
    """
    percent = min(100.0, max(fill_percent or 0.0, bin.threshold_percent))
    litres = math.ceil(bin.volume_litres * percent / 100)
    density = DENSITY_KG_PER_LITRE.get(bin.fraction, 0.15)
    return litres, math.ceil(litres * density)


def seconds_after_midnight(day: date, at: time, zone: ZoneInfo) -> int:
    """Return the seconds elapsed from ``day``'s midnight to ``at`` on the clock.

    Elapsed, not wall-clock: on a daylight-saving day 06:00 is 5 or 7 hours
    after midnight. (Aware datetimes of one zone subtract as wall clocks, so
    both are taken to UTC first.)
    """
    midnight = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    clock = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return int((clock - midnight).total_seconds())


def moment(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    """Return the aware local moment ``seconds`` elapsed after ``day``'s midnight."""
    midnight = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    return (midnight + timedelta(seconds=seconds)).astimezone(zone)


def assign_fleet(
    vehicles: list[Vehicle], litres_by_fraction: dict[str, int]
) -> dict[str, list[Vehicle]]:
    """Give each vehicle one fraction to collect today; return vehicles by fraction.

    Vehicles that carry fewer of the needed fractions choose first, each the
    fraction with the most litres not yet covered (ties by name). Vehicles
    carrying none of them are left out.
    """
    uncovered = dict(litres_by_fraction)
    fleet = defaultdict(list)
    choices = [
        (vehicle, sorted(f for f in vehicle.fractions if f in litres_by_fraction))
        for vehicle in vehicles
    ]
    for vehicle, fractions in sorted(choices, key=lambda c: (len(c[1]), c[0].code)):
        if not fractions:
            continue
        fraction = min(fractions, key=lambda f: (-uncovered[f], f))
        fleet[fraction].append(vehicle)
        uncovered[fraction] -= vehicle.capacity_litres
    return dict(fleet)


@dataclass
class Solved:
    """The planner's results of one day's problem, fraction by fraction."""

    results: list[planner.PlanResult]
    unplanned: list[dict]

    @property
    def distance_m(self) -> int:
        return sum(result.distance_m for result in self.results)

    @property
    def duration_s(self) -> int:
        return sum(result.duration_s for result in self.results)

    @property
    def runtime_s(self) -> float:
        return round(sum(result.runtime_s for result in self.results), 3)


class _Day:
    """The shared facts of one planning day: zone, points and their matrices."""

    def __init__(self, day: date, vehicles, bins, zone: ZoneInfo):
        self.day, self.zone = day, zone
        self.weekday = day.weekday()
        depots = {v.depot_id: v.depot for v in vehicles}
        points, self.index = [], {}
        for key, place in [
            *((("depot", pk), d) for pk, d in sorted(depots.items())),
            *((("bin", b.pk), b) for b in bins),
        ]:
            if key not in self.index:
                self.index[key] = len(points)
                points.append((place.latitude, place.longitude))
        self.distance_m, self.duration_s, self.source = distances.matrices(points)

    def vehicle_spec(self, vehicle: Vehicle) -> planner.VehicleSpec:
        return planner.VehicleSpec(
            key=str(vehicle.pk),
            depot=self.index["depot", vehicle.depot_id],
            capacity_litres=vehicle.capacity_litres,
            capacity_kg=vehicle.capacity_kg,
            shift_start_s=seconds_after_midnight(
                self.day, vehicle.shift_start, self.zone
            ),
            shift_end_s=seconds_after_midnight(self.day, vehicle.shift_end, self.zone),
        )

    def stop(self, candidate: Candidate, fill: float | None) -> planner.StopRequest:
        bin = candidate.bin
        litres, kg = demand(bin, fill)
        return planner.StopRequest(
            key=str(bin.pk),
            location=self.index["bin", bin.pk],
            demand_litres=litres,
            demand_kg=kg,
            window_start_s=seconds_after_midnight(
                self.day, bin.window_start, self.zone
            ),
            window_end_s=seconds_after_midnight(self.day, bin.window_end, self.zone),
            service_s=settings.STOP_SECONDS,
            optional=candidate.optional,
            prize=PRIZE_M.get(candidate.need, 0),
        )

    def solve(self, candidates, vehicles, fills, seconds: float) -> Solved:
        """Plan each fraction with its vehicles; seconds are shared by stop count."""
        unplanned, by_fraction = [], defaultdict(list)
        for candidate in candidates:
            if self.weekday not in candidate.bin.window_weekdays:
                if not candidate.optional:
                    unplanned.append(_unplanned(candidate.bin, NOT_TODAY))
                continue
            by_fraction[candidate.bin.fraction].append(candidate)
        litres = {
            fraction: sum(demand(c.bin, fills.get(c.bin.pk))[0] for c in group)
            for fraction, group in by_fraction.items()
        }
        fleet = assign_fleet(vehicles, litres)
        total = sum(len(group) for group in by_fraction.values())
        results = []
        for fraction, group in sorted(by_fraction.items()):
            if not fleet.get(fraction):
                unplanned += [
                    _unplanned(c.bin, NO_VEHICLE) for c in group if not c.optional
                ]
                continue
            problem = planner.Problem(
                stops=[self.stop(c, fills.get(c.bin.pk)) for c in group],
                vehicles=[self.vehicle_spec(v) for v in fleet[fraction]],
                distance_m=self.distance_m,
                duration_s=self.duration_s,
            )
            # A small fraction still gets a second (or all there is) to solve in.
            share = max(min(1.0, seconds), seconds * len(group) / total)
            result = planner.plan(problem, seconds=share)
            results.append(result)
            stops = {stop.key: stop for stop in problem.stops}
            bins = {str(c.bin.pk): c.bin for c in group}
            unplanned += [
                _unplanned(bins[key], planner.unplanned_reason(problem, stops[key]))
                for key in result.unplanned
            ]
        return Solved(results=results, unplanned=unplanned)


def _unplanned(bin: Bin, reason: str) -> dict:
    return {"bin_id": bin.pk, "bin": bin.code, "reason": reason}


def plan_day(*, date: date, by=None, seconds: float | None = None) -> RoutePlan:
    """Plan ``date``'s routes and store them as that day's newest plan.

    Solving runs outside any transaction (it takes seconds); the plan, its
    routes and stops are then written in one transaction, so a plan is stored
    whole or not at all. Earlier plans of the day are kept; the newest is the
    one in use. ``seconds`` defaults to ``settings.PLAN_SECONDS`` for the plan
    and again for the fixed-round baseline. Raises ``DistanceError`` when
    ``OSRM_URL`` is set and the server gives no table.
    """
    seconds = settings.PLAN_SECONDS if seconds is None else seconds
    zone = ZoneInfo(settings.TIME_ZONE)
    vehicles = selectors.active_vehicles()
    candidates = [
        Candidate(
            bin=item.bin, case_id=item.case.pk if item.case else None, need=item.need
        )
        for item in sensors.bins_to_collect(date=date)
    ]
    baseline = [
        Candidate(bin=bin, case_id=None)
        for bin in selectors.fixed_round_bins(date.weekday())
    ]
    bins = {c.bin.pk: c.bin for c in [*candidates, *baseline]}
    fills = selectors.latest_fill_by_bin(bins, at=timezone.now())
    day = _Day(date, vehicles, sorted(bins.values(), key=lambda b: b.code), zone)
    solved = day.solve(candidates, vehicles, fills, seconds)
    fixed = day.solve(baseline, vehicles, fills, seconds) if baseline else None
    return _store(
        day=day,
        by=by,
        solved=solved,
        baseline_m=fixed.distance_m if fixed else None,
        candidates={str(c.bin.pk): c for c in candidates},
        vehicles={str(v.pk): v for v in vehicles},
    )


@transaction.atomic
def _store(*, day: _Day, by, solved: Solved, baseline_m, candidates, vehicles):
    plan = RoutePlan.objects.create(
        date=day.day,
        created_at=timezone.now(),
        created_by=by,
        distance_source=day.source,
        solver_seconds=solved.runtime_s,
        distance_m=solved.distance_m,
        duration_s=solved.duration_s,
        baseline_distance_m=baseline_m,
        unplanned=sorted(solved.unplanned, key=lambda u: u["bin"]),
    )
    stops = []
    for result in solved.results:
        for planned in result.routes:
            route = Route.objects.create(
                plan=plan,
                vehicle=vehicles[planned.vehicle_key],
                distance_m=planned.distance_m,
                duration_s=planned.duration_s,
                load_litres=planned.load_litres,
                load_kg=planned.load_kg,
                starts_at=moment(day.day, planned.start_s, day.zone),
                ends_at=moment(day.day, planned.end_s, day.zone),
            )
            stops += [
                Stop(
                    route=route,
                    position=position,
                    bin=candidates[stop.key].bin,
                    case_id=candidates[stop.key].case_id,
                    optional=candidates[stop.key].optional,
                    arrives_at=moment(day.day, stop.arrival_s, day.zone),
                    load_litres_after=stop.load_litres_after,
                )
                for position, stop in enumerate(planned.stops, start=1)
            ]
    Stop.objects.bulk_create(stops)
    return plan
