"""The operator's route map and the driver's phone view of one route.

Who sees what (docs/operators.md): the day's plans need
``routing.view_routeplan`` (operators); one route needs ``routing.view_route``
and, unless the user also sees plans, that the route's vehicle is one the user
usually drives (``Vehicle.driver``); other routes answer 404. Marking a stop
needs ``routing.change_stop`` on a route the user may see. Every page works
without JavaScript; the map repeats what the tables say.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from medborg.cases.views import map_context
from medborg.routing import exports, selectors
from medborg.routing.forms import DayForm, MarkStopForm, PlanDayForm
from medborg.routing.models import Route, RoutePlan, Stop
from medborg.routing.services import stops as stop_services

# Line colours of the routes on the map, in turn; the tables name each route.
COLOURS = ["#0059b3", "#b35900", "#008044", "#8a2be2", "#b3003c", "#006d75"]


def permission(name):
    """Signed in (else to the sign-in page) and holding ``name`` (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def sees_all_routes(user) -> bool:
    return user.has_perm("routing.view_routeplan")


def _route_or_404(request, route_id: int) -> Route:
    route = selectors.route_for_driver(route_id)
    if route is None:
        raise Http404
    if not sees_all_routes(request.user) and route.vehicle.driver_id != request.user.pk:
        # Another crew's route: as if it did not exist.
        raise Http404
    return route


def _day(request):
    form = DayForm(request.GET or None)
    day = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data["date"]:
        day = form.cleaned_data["date"]
    if not form.is_bound:
        form = DayForm(initial={"date": day})
    return form, day


def _percent(part, whole):
    return round(100 * part / whole) if whole else None


def _savings(plan: RoutePlan) -> dict | None:
    if plan.baseline_distance_m is None:
        return None
    saved = plan.baseline_distance_m - plan.distance_m
    return {
        "baseline_km": plan.baseline_distance_m / 1000,
        "saved_km": saved / 1000,
        "percent": _percent(saved, plan.baseline_distance_m),
    }


def _route_rows(plan: RoutePlan) -> list[dict]:
    rows = []
    for index, route in enumerate(plan.routes.all()):
        stops = list(route.stops.all())
        vehicle = route.vehicle
        rows.append(
            {
                "route": route,
                "stops": stops,
                "colour": COLOURS[index % len(COLOURS)],
                "km": route.distance_m / 1000,
                "hours": route.duration_s / 3600,
                "load_percent": _percent(route.load_litres, vehicle.capacity_litres),
                "load_kg_percent": _percent(route.load_kg, vehicle.capacity_kg),
                "done": sum(s.status != Stop.Status.PLANNED for s in stops),
            }
        )
    return rows


def _unplanned(plan: RoutePlan) -> list[dict]:
    """Read the plan's unplanned bins: {"bin": code, "reason": …}, or bare codes."""
    # The planner's module pulls in the solver; only this page needs its words.
    from medborg.routing.services.planning import UNPLANNED_REASONS
    from medborg.sensors.models import Bin

    items = []
    for item in plan.unplanned or []:
        if isinstance(item, dict):
            code = str(item.get("bin") or item.get("code") or item.get("key") or "")
            reason = str(item.get("reason") or "")
        else:
            code, reason = str(item), ""
        items.append({"code": code, "reason": UNPLANNED_REASONS.get(reason, reason)})
    names = dict(
        Bin.objects.filter(code__in=[i["code"] for i in items]).values_list(
            "code", "name"
        )
    )
    for item in items:
        item["name"] = names.get(item["code"]) or item["code"]
    return items


def _map_points(rows) -> dict:
    routes = []
    for row in rows:
        depot = row["route"].vehicle.depot
        routes.append(
            {
                "label": row["route"].vehicle.name,
                "colour": row["colour"],
                "depot": [depot.latitude, depot.longitude],
                "stops": [
                    {
                        "lat": stop.bin.latitude,
                        "lon": stop.bin.longitude,
                        "position": stop.position,
                        "name": stop.bin.name or stop.bin.code,
                        "done": stop.status != Stop.Status.PLANNED,
                    }
                    for stop in row["stops"]
                ],
            }
        )
    return {"routes": routes}


def _shown_plan(request, day):
    """The plan asked for with ``?plan=`` (an earlier one of the day), else current."""
    current = selectors.current_plan(day)
    wanted = request.GET.get("plan", "")
    if (
        current is not None
        and wanted.isdigit()
        and int(wanted) != current.pk
        and RoutePlan.objects.filter(pk=int(wanted), date=day).exists()
    ):
        return selectors.plan_with_routes(int(wanted)), current
    if current is None:
        return None, None
    return selectors.plan_with_routes(current.pk), current


@require_GET
@login_required
def index(request):
    """Show a day's plan on a map with each route's figures; drivers go to theirs."""
    if not sees_all_routes(request.user):
        if request.user.has_perm("routing.view_route"):
            return redirect("routing:mine")
        raise PermissionDenied
    form, day = _day(request)
    plan, current = _shown_plan(request, day)
    rows = _route_rows(plan) if plan else []
    context = {
        "form": form,
        "day": day,
        "plan": plan,
        "is_current": plan is not None and plan.pk == current.pk,
        "current": current,
        "rows": rows,
        "savings": _savings(plan) if plan else None,
        "unplanned": _unplanned(plan) if plan else [],
        "plan_km": plan.distance_m / 1000 if plan else None,
        "earlier": [
            {"plan": other, "km": other.distance_m / 1000}
            for other in RoutePlan.objects.filter(date=day)
            .exclude(pk=plan.pk if plan else None)
            .order_by("-created_at", "-pk")
        ],
        "map_points": _map_points(rows),
        "map": map_context(),
        "plan_form": PlanDayForm(initial={"date": day}),
        "can_plan": request.user.has_perm("routing.add_routeplan"),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "routing/index.html", context, status=status)


@require_POST
@permission("routing.add_routeplan")
def plan_day(request):
    """Enqueue planning of the posted day; the plan appears when the worker is done."""
    form = PlanDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid day to plan."))
        return redirect("routing:index")
    # Built by the planning task's module; imported here so that the pages
    # load even where the solver is not installed.
    from medborg.routing import tasks

    day = form.cleaned_data["date"]
    user_id = request.user.pk
    transaction.on_commit(lambda: tasks.plan_day.enqueue(day.isoformat(), user_id))
    messages.success(
        request,
        _(
            "Planning of %(date)s has started. Reload this page in a minute to "
            "see the new plan."
        )
        % {"date": date_format(day, "DATE_FORMAT")},
    )
    return redirect(f"{reverse('routing:index')}?{urlencode({'date': day})}")


@require_GET
@permission("routing.view_route")
def mine(request):
    """List today's routes on the vehicles the user usually drives."""
    day = timezone.localdate()
    return render(
        request,
        "routing/mine.html",
        {"day": day, "routes": selectors.routes_of_driver(request.user, day)},
    )


def _stop_rows(route: Route, *, bound: dict):
    fills = selectors.latest_fill_by_bin([stop.bin_id for stop in route.stops.all()])
    rows = []
    for stop in route.stops.all():
        auto_id = f"id_stop{stop.pk}_%s"
        form = bound.get(stop.pk) or MarkStopForm(auto_id=auto_id)
        rows.append({"stop": stop, "fill": fills.get(stop.bin_id), "form": form})
    return rows


def _render_route(request, route, *, status=200, bound=None, refusal=""):
    stop_rows = _stop_rows(route, bound=bound or {})
    current = selectors.current_plan(route.plan.date)
    points = _map_points(
        [{"route": route, "colour": COLOURS[0], "stops": list(route.stops.all())}]
    )
    context = {
        "route": route,
        "plan": route.plan,
        "stop_rows": stop_rows,
        "refusal": refusal,
        "superseded": current is not None and current.pk != route.plan_id,
        "current": current,
        "done": sum(r["stop"].status != Stop.Status.PLANNED for r in stop_rows),
        "can_mark": request.user.has_perm("routing.change_stop"),
        "sees_plans": sees_all_routes(request.user),
        "map_points": points,
        "map": map_context(),
    }
    return render(request, "routing/route.html", context, status=status)


@require_GET
@permission("routing.view_route")
def route_detail(request, route_id):
    """Show one route's ordered stops, with buttons to mark each, for a phone."""
    return _render_route(request, _route_or_404(request, route_id))


def _next_planned(route: Route, after: Stop) -> Stop | None:
    """The next stop still planned after ``after``, else the first one left."""
    left = list(
        Stop.objects.filter(route=route, status=Stop.Status.PLANNED).order_by(
            "position"
        )
    )
    later = [stop for stop in left if stop.position > after.position]
    return (later or left or [None])[0]


def _marked_message(stop: Stop) -> str:
    values = {"position": stop.position, "bin": stop.bin.name or stop.bin.code}
    if stop.status == Stop.Status.EMPTIED:
        return _("Stop %(position)s (%(bin)s) marked emptied.") % values
    return _("Stop %(position)s (%(bin)s) marked skipped: %(reason)s.") % {
        **values,
        "reason": stop.get_skip_reason_display(),
    }


@require_POST
@permission("routing.change_stop")
def mark(request, route_id, stop_id):
    """Mark a stop emptied or skipped; 409 with a message if it was marked before."""
    route = _route_or_404(request, route_id)
    stop = next((s for s in route.stops.all() if s.pk == stop_id), None)
    if stop is None:
        raise Http404
    form = MarkStopForm(request.POST, auto_id=f"id_stop{stop.pk}_%s")
    if not form.is_valid():
        return _render_route(request, route, status=400, bound={stop.pk: form})
    try:
        stop = stop_services.mark_stop(
            stop=stop,
            status=form.cleaned_data["status"],
            skip_reason=form.cleaned_data["skip_reason"],
            by=request.user,
        )
    except stop_services.StopAlreadyMarked as refused:
        route = selectors.route_for_driver(route.pk)
        return _render_route(request, route, status=409, refusal=str(refused))
    messages.success(request, _marked_message(stop))
    following = _next_planned(route, stop)
    anchor = f"#stop-{following.pk}" if following else "#stops"
    return redirect(reverse("routing:route", args=[route.pk]) + anchor)


def export_route(route: Route) -> exports.ExportRoute:
    """Build the export of a stored route (its stops, bins and depot read)."""
    vehicle, depot = route.vehicle, route.vehicle.depot
    day = route.plan.date.isoformat()
    return exports.ExportRoute(
        name=_("%(vehicle)s on %(date)s") % {"vehicle": vehicle.name, "date": day},
        vehicle=vehicle.code,
        date=day,
        depot_name=depot.name,
        depot_latitude=depot.latitude,
        depot_longitude=depot.longitude,
        starts_at=timezone.localtime(route.starts_at),
        ends_at=timezone.localtime(route.ends_at),
        distance_m=route.distance_m,
        duration_s=route.duration_s,
        stops=tuple(
            exports.ExportStop(
                position=stop.position,
                code=stop.bin.code,
                name=stop.bin.name,
                latitude=stop.bin.latitude,
                longitude=stop.bin.longitude,
                fraction=stop.bin.fraction,
                arrives_at=timezone.localtime(stop.arrives_at),
                status=stop.status,
                optional=stop.optional,
            )
            for stop in route.stops.all()
        ),
    )


def _download(content: str, *, content_type: str, route: Route, extension: str):
    response = HttpResponse(content, content_type=content_type)
    filename = f"route-{route.plan.date:%Y-%m-%d}-{route.vehicle.code}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@permission("routing.view_route")
def gpx(request, route_id):
    """Download the route as GPX 1.1 for a navigation app."""
    route = _route_or_404(request, route_id)
    return _download(
        exports.gpx(export_route(route)),
        content_type="application/gpx+xml; charset=utf-8",
        route=route,
        extension="gpx",
    )


@require_GET
@permission("routing.view_route")
def geojson(request, route_id):
    """Download the route as a GeoJSON FeatureCollection."""
    route = _route_or_404(request, route_id)
    return _download(
        json.dumps(exports.geojson(export_route(route)), ensure_ascii=False),
        content_type="application/geo+json",
        route=route,
        extension="geojson",
    )
