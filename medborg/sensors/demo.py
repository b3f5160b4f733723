"""Load the demo bins: about sixty around the map's centre with two weeks of readings.

Called by ``load_demo`` after the catalog (and the fleet, when routing's demo
provides one). The same bins, devices and fill curves come back on every load
(a fixed random seed), placed relative to the time of loading, so that a few
bins are over their threshold now and one sensor has gone silent. The cases
that follow come from ``evaluate_bins``, as in production. Bulk inserts keep
the load to a second or two.
"""

import math
import random
from datetime import time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from medborg.sensors.models import Bin, Device, Fraction, Reading, Source
from medborg.sensors.services import emptying

BINS = 60
DAYS = 14
READING_HOURS = 2
SEED = 7
# Bins without a fixed round, filling towards their threshold now.
HOT_BINS = 4
METRES_PER_DEGREE = 111_320
AREAS = {
    (True, True): "Norr-Öster",
    (True, False): "Norr-Väster",
    (False, True): "Söder-Öster",
    (False, False): "Söder-Väster",
}
FRACTIONS = [Fraction.RESIDUAL] * 6 + [Fraction.PACKAGING, Fraction.PAPER]
VOLUMES = [120, 240, 240, 370, 660]


def _depots(fleet) -> list:
    if isinstance(fleet, dict):
        return list(fleet.get("depots") or [])
    return [item for item in fleet or [] if hasattr(item, "vehicles")]


def _place(rng: random.Random) -> tuple[float, float]:
    latitude, longitude = settings.MAP_CENTER
    distance = 2500 * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    north, east = distance * math.cos(angle), distance * math.sin(angle)
    return (
        round(latitude + north / METRES_PER_DEGREE, 6),
        round(
            longitude + east / (METRES_PER_DEGREE * math.cos(math.radians(latitude))),
            6,
        ),
    )


def _bins(rng: random.Random, depots: list) -> list[Bin]:
    bins = []
    centre = settings.MAP_CENTER
    for index in range(BINS):
        latitude, longitude = _place(rng)
        square = index % 10 == 0
        bins.append(
            Bin(
                code=f"vxo-{index + 1:03d}",
                name=f"Papperskorg {index + 1}",
                latitude=latitude,
                longitude=longitude,
                fraction=rng.choice(FRACTIONS),
                volume_litres=rng.choice(VOLUMES),
                area=AREAS[(latitude >= centre[0], longitude >= centre[1])],
                depot=depots[index % len(depots)] if depots else None,
                # Squares may be emptied on Saturdays too, before the market.
                window_weekdays=[0, 1, 2, 3, 4, 5] if square else [0, 1, 2, 3, 4],
                window_start=time(5) if square else time(6),
                window_end=time(12) if square else time(15),
                round_weekday=None if index < HOT_BINS else rng.randrange(5),
            )
        )
    return Bin.objects.bulk_create(bins)


def _devices(rng: random.Random, bins: list[Bin]) -> list[Device]:
    return Device.objects.bulk_create(
        Device(
            identifier=f"70b3d57ed005{index + 1:04x}",
            bin=bin,
            empty_distance_mm=rng.randrange(1000, 1250, 10),
            full_distance_mm=rng.randrange(150, 260, 10),
            battery_percent=round(rng.uniform(35, 100), 1),
        )
        for index, bin in enumerate(bins)
    )


def _weekend(at) -> float:
    # Squares and parks fill faster at weekends.
    return 1.4 if timezone.localtime(at).weekday() >= 5 else 1.0


def _curve(rng: random.Random, bin: Bin, index: int, times) -> list[float]:
    """Fill levels at ``times``: a bin's own rate, busier at weekends, its round.

    The hot bins reach 90–97 % now whatever the weekday; the others, emptied
    weekly, stay far enough below their threshold that no forecast opens a
    case, so the demo opens the same cases on every day of the week.
    """
    if index < HOT_BINS:
        hours = sum(_weekend(at) * READING_HOURS for at in times[1:])
        rate, fill = rng.uniform(90, 97) / hours, 0.0
    else:
        rate, fill = rng.uniform(0.1, 0.25), rng.uniform(0, 30)
    fills, emptied_on = [], None
    for position, at in enumerate(times):
        local = timezone.localtime(at)
        if position:
            rise = rate * _weekend(at) * READING_HOURS + rng.gauss(0, 0.2)
            fill = min(100.0, max(fill + rise, 0.0))
        on_round = local.weekday() == bin.round_weekday and local.hour >= 9
        if on_round and emptied_on != local.date():
            fill, emptied_on = rng.uniform(0, 3), local.date()
        fills.append(round(fill, 1))
    return fills


def _readings(rng, bins, devices, now) -> int:
    end = now.replace(minute=0, second=0, microsecond=0)
    steps = DAYS * 24 // READING_HOURS
    times = [end - timedelta(hours=READING_HOURS * n) for n in range(steps, -1, -1)]
    silence = timedelta(hours=settings.SENSOR_SILENCE_HOURS + 22)
    rows = []
    for index, (bin, device) in enumerate(zip(bins, devices, strict=True)):
        fills = _curve(rng, bin, index, times)
        # The last sensor went silent: its readings stop well before now.
        kept = times if index < BINS - 1 else [t for t in times if t < end - silence]
        for at, fill in zip(kept, fills, strict=False):
            rows.append(
                Reading(
                    device=device,
                    bin=bin,
                    measured_at=at,
                    received_at=at,
                    fill_percent=fill,
                    battery_percent=device.battery_percent,
                    source=Source.MQTT,
                )
            )
        device.last_seen_at = kept[-1]
    Reading.objects.bulk_create(rows, batch_size=2000)
    Device.objects.bulk_update(devices, ["last_seen_at"])
    return len(rows)


@transaction.atomic
def load(*, services, users, fleet=None) -> dict:
    """Create the demo bins, sensors and readings; open the cases they call for.

    ``services`` are the catalog's services: cases are opened only when the
    bin-emptying and sensor-fault services are among them. ``fleet`` is what
    routing's demo returned (its depots are shared out over the bins), or
    None. ``users`` is accepted for symmetry with the other demo loaders.
    Returns the counts made.
    """
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    now = timezone.now()
    bins = _bins(rng, _depots(fleet))
    devices = _devices(rng, bins)
    readings = _readings(rng, bins, devices, now)
    codes = {service.code for service in services}
    cases = 0
    if {emptying.EMPTYING_SERVICE, emptying.FAULT_SERVICE} <= codes:
        results = emptying.evaluate_bins(bin_ids=[bin.pk for bin in bins], now=now)
        cases = sum(1 for r in results if r.opened) + sum(
            1 for r in results if r.faults
        )
    return {"bins": len(bins), "readings": readings, "cases": cases}
