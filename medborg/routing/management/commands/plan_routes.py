import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from medborg.routing.distances import DistanceError
from medborg.routing.services.planning import plan_day


class Command(BaseCommand):
    help = (
        "Plan the day's collection routes (bins with an open case, plus those "
        "forecast to fill up as optional stops), store the plan and print a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", required=True, type=_date, help="The day, as YYYY-MM-DD."
        )
        parser.add_argument(
            "--seconds",
            type=float,
            help="Solving time (default: MEDBORG_PLAN_SECONDS); the fixed-round "
            "baseline takes as long again.",
        )

    def handle(self, *args, date: date, seconds: float | None, **options):
        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds must be more than 0")
        try:
            plan = plan_day(date=date, seconds=seconds)
        except DistanceError as error:
            raise CommandError(str(error)) from None
        routes = list(plan.routes.all())
        stops = sum(route.stops.count() for route in routes)
        lines = [
            f"Plan {plan.pk} for {plan.date:%Y-%m-%d}: {len(routes)} routes, "
            f"{stops} stops, {plan.distance_m / 1000:.1f} km "
            f"({plan.distance_source}, {plan.solver_seconds:.1f} s)."
        ]
        if plan.baseline_distance_m is not None:
            saved = plan.baseline_distance_m - plan.distance_m
            lines.append(
                f"Fixed round: {plan.baseline_distance_m / 1000:.1f} km; "
                f"saved {saved / 1000:.1f} km."
            )
        for route in routes:
            lines.append(
                f"  {route.vehicle.code}: {route.stops.count()} stops, "
                f"{route.distance_m / 1000:.1f} km, {route.load_litres} l, "
                f"{timezone.localtime(route.starts_at):%H:%M}–"
                f"{timezone.localtime(route.ends_at):%H:%M}"
            )
        for item in plan.unplanned:
            lines.append(f"  not planned: {item['bin']} ({item['reason']})")
        self.stdout.write("\n".join(lines))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
