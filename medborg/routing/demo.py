"""Load the demo fleet and plan the demo day.

Called by ``load_demo``: ``load_fleet`` before the bins (the bins are shared
out over its depots), ``plan_demo_day`` after them. The same two depots and
four trucks, placed around the map's centre (``MAP_CENTER``), come back on
every load; loading twice changes nothing.
"""

from datetime import time
from math import cos, radians

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from medborg.routing.models import Depot, RoutePlan, Vehicle
from medborg.routing.services.planning import plan_day

DEPOTS = [
    # code, name, metres north and east of the centre
    ("north", "Depot North", 2200, -600),
    ("south", "Depot South", -1900, 900),
]
VEHICLES = [
    # code, name, depot, litres, kg, fractions (None: all)
    ("truck-1", "Truck 1", "north", 16_000, 9_000, None),
    ("truck-2", "Truck 2", "north", 16_000, 9_000, None),
    ("truck-3", "Truck 3", "south", 12_000, 7_000, None),
    ("truck-4", "Truck 4", "south", 8_000, 5_000, ["glass", "paper", "packaging"]),
]
METRES_PER_DEGREE = 111_320
DEMO_PLAN_SECONDS = 2


@transaction.atomic
def load_fleet() -> dict:
    """Create the demo depots and vehicles (shifts 06–15); return them.

    Returns ``{"depots": [Depot, ...], "vehicles": [Vehicle, ...]}``.
    """
    latitude, longitude = settings.MAP_CENTER
    depots = {}
    for code, name, north, east in DEPOTS:
        depots[code], _ = Depot.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "latitude": round(latitude + north / METRES_PER_DEGREE, 6),
                "longitude": round(
                    longitude + east / (METRES_PER_DEGREE * cos(radians(latitude))), 6
                ),
            },
        )
    vehicles = []
    for code, name, depot, litres, kg, fractions in VEHICLES:
        defaults = {
            "name": name,
            "depot": depots[depot],
            "capacity_litres": litres,
            "capacity_kg": kg,
            "shift_start": time(6),
            "shift_end": time(15),
        }
        if fractions is not None:
            defaults["fractions"] = fractions
        vehicle, _ = Vehicle.objects.get_or_create(code=code, defaults=defaults)
        vehicles.append(vehicle)
    return {"depots": list(depots.values()), "vehicles": vehicles}


def plan_demo_day() -> RoutePlan | None:
    """Plan today's routes in two seconds of solving; None when there is no fleet."""
    if not Vehicle.objects.filter(active=True).exists():
        return None
    return plan_day(date=timezone.localdate(), seconds=DEMO_PLAN_SECONDS)
