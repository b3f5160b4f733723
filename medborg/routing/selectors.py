"""Read route plans, their routes and stops, and what the planner needs to know."""

from datetime import date, datetime

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from medborg.routing.models import Route, RoutePlan, Stop, Vehicle
from medborg.sensors.models import Bin, Reading


def current_plan(day: date) -> RoutePlan | None:
    """Return the plan in use for ``day``: the newest one made for it, or None."""
    return (
        RoutePlan.objects.filter(date=day)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def _stops():
    return Stop.objects.select_related("bin", "case").order_by("position")


def plan_with_routes(plan_id: int) -> RoutePlan | None:
    """Return the plan with its routes (vehicle, depot) and their ordered stops.

    Routes are ordered by vehicle code and their stops by position, each stop
    with its bin and case, in three queries whatever the plan's size.
    """
    routes = (
        Route.objects.select_related("vehicle__depot", "vehicle__driver")
        .prefetch_related(Prefetch("stops", queryset=_stops()))
        .order_by("vehicle__code")
    )
    return (
        RoutePlan.objects.filter(pk=plan_id)
        .select_related("created_by")
        .prefetch_related(Prefetch("routes", queryset=routes))
        .first()
    )


def route_for_driver(route_id: int) -> Route | None:
    """Return a route with its plan, vehicle, depot and ordered stops, or None."""
    return (
        Route.objects.filter(pk=route_id)
        .select_related("plan", "vehicle__depot", "vehicle__driver")
        .prefetch_related(Prefetch("stops", queryset=_stops()))
        .first()
    )


def routes_of_driver(user, day: date) -> list[Route]:
    """Return the routes of ``day``'s current plan on the vehicles ``user`` drives."""
    plan = current_plan(day)
    if plan is None:
        return []
    return list(
        Route.objects.filter(plan=plan, vehicle__driver=user)
        .select_related("vehicle")
        .order_by("vehicle__code")
    )


def active_vehicles() -> list[Vehicle]:
    """Return the vehicles in use with their depots, by code."""
    return list(
        Vehicle.objects.filter(active=True).select_related("depot").order_by("code")
    )


def fixed_round_bins(weekday: int) -> list[Bin]:
    """Return the active bins on the fixed weekly round of ``weekday`` (Monday 0)."""
    return list(Bin.objects.filter(active=True, round_weekday=weekday).order_by("code"))


def latest_fill_by_bin(bin_ids, *, at: datetime | None = None) -> dict[int, float]:
    """Return each bin's latest fill level (%) measured up to ``at``, by bin id.

    Bins without a reading are left out. One query, using the (bin,
    measured_at) index once per bin.
    """
    at = at or timezone.now()
    latest = (
        Reading.objects.filter(bin=OuterRef("pk"), measured_at__lte=at)
        .order_by("-measured_at")
        .values("fill_percent")[:1]
    )
    rows = (
        Bin.objects.filter(pk__in=list(bin_ids))
        .annotate(fill=Subquery(latest))
        .values_list("pk", "fill")
    )
    return {pk: fill for pk, fill in rows if fill is not None}
