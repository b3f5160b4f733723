"""Factories for bins, sensors, readings, depots and vehicles.

Shared by the sensors and routing tests. Coordinates are spread around
Uppsala so that distances between generated bins are realistic.
"""

from datetime import time, timedelta

from django.utils import timezone

import factory

from medborg.routing.models import Depot, Vehicle
from medborg.sensors.models import Bin, Device, Fraction, Reading, Source


class DepotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Depot
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"depot-{n}")
    name = factory.Sequence(lambda n: f"Depot {n}")
    latitude = 59.8586
    longitude = 17.6389


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"truck-{n}")
    name = factory.Sequence(lambda n: f"Truck {n}")
    depot = factory.SubFactory(DepotFactory)
    capacity_litres = 20000
    capacity_kg = 8000
    shift_start = time(6)
    shift_end = time(15)
    fractions = factory.LazyFunction(lambda: list(Fraction.values))


class BinFactory(factory.django.DjangoModelFactory):
    """An active 660-litre residual-waste bin, emptied at 80 %."""

    class Meta:
        model = Bin
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"bin-{n}")
    name = factory.Sequence(lambda n: f"Bin {n}")
    latitude = factory.Sequence(lambda n: 59.85 + (n % 50) * 0.001)
    longitude = factory.Sequence(lambda n: 17.62 + (n // 50 % 50) * 0.002)
    fraction = Fraction.RESIDUAL
    volume_litres = 660
    threshold_percent = 80
    depot = None

    class Params:
        inactive = factory.Trait(active=False)
        with_depot = factory.Trait(depot=factory.SubFactory(DepotFactory))


class DeviceFactory(factory.django.DjangoModelFactory):
    """A sensor in a bin; ``calibrated`` adds empty/full distances (1200/200 mm)."""

    class Meta:
        model = Device
        django_get_or_create = ["identifier"]

    identifier = factory.Sequence(lambda n: f"{n:016x}")
    bin = factory.SubFactory(BinFactory)

    class Params:
        calibrated = factory.Trait(empty_distance_mm=1200, full_distance_mm=200)
        unassigned = factory.Trait(bin=None)


class ReadingFactory(factory.django.DjangoModelFactory):
    """A reading measured a minute ago, in the bin its device sits in."""

    class Meta:
        model = Reading

    device = factory.SubFactory(DeviceFactory)
    bin = factory.LazyAttribute(lambda r: r.device.bin)
    measured_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    received_at = factory.LazyFunction(timezone.now)
    fill_percent = 50.0
    source = Source.HTTP
