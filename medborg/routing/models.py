"""Depots, vehicles and the day's collection plans with their routes and stops.

A plan is stored as solved: its routes, each route's ordered stops, distance,
time and load, and the fixed weekly round's distance for the same day, so
that the kilometres saved are a stored fact, not a recomputation.
"""

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def all_fractions() -> list[str]:
    from medborg.sensors.models import Fraction

    return list(Fraction.values)


class Depot(models.Model):
    code = models.SlugField(_("identifier"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("depot")
        verbose_name_plural = _("depots")

    def __str__(self):
        return self.name


class Vehicle(models.Model):
    code = models.SlugField(_("identifier"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    depot = models.ForeignKey(
        Depot,
        on_delete=models.PROTECT,
        related_name="vehicles",
        verbose_name=_("depot"),
    )
    capacity_litres = models.PositiveIntegerField(
        _("capacity (litres)"), validators=[MinValueValidator(1)]
    )
    capacity_kg = models.PositiveIntegerField(
        _("capacity (kg)"), validators=[MinValueValidator(1)]
    )
    shift_start = models.TimeField(_("shift starts"), default=time(6))
    shift_end = models.TimeField(_("shift ends"), default=time(15))
    fractions = models.JSONField(_("waste fractions it carries"), default=all_fractions)
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vehicles",
        verbose_name=_("usual driver"),
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shift_start__lt=models.F("shift_end")),
                name="vehicle_shift_start_before_end",
            )
        ]

    def __str__(self):
        return self.name


class RoutePlan(models.Model):
    """The routes planned for one day; the newest plan of a day is the one in use."""

    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("planned at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("planned by"),
    )
    # "haversine" (great circle × road factor) or "osrm".
    distance_source = models.CharField(max_length=12)
    solver_seconds = models.FloatField()
    distance_m = models.PositiveIntegerField(_("distance (m)"))
    duration_s = models.PositiveIntegerField(_("time (s)"))
    # The fixed weekly round for the same day over the same distances.
    baseline_distance_m = models.PositiveIntegerField(null=True, blank=True)
    # Bins with an open case that no route could take, with the reason.
    unplanned = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        get_latest_by = "created_at"
        verbose_name = _("route plan")
        verbose_name_plural = _("route plans")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} ({self.created_at:%H:%M})"


class Route(models.Model):
    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="+")
    distance_m = models.PositiveIntegerField()
    duration_s = models.PositiveIntegerField()
    load_litres = models.PositiveIntegerField()
    load_kg = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "vehicle__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "vehicle"], name="route_one_per_vehicle_and_plan"
            )
        ]

    def __str__(self):
        return f"{self.plan} {self.vehicle}"


class Stop(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        EMPTIED = "emptied", _("Emptied")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        BLOCKED = "blocked", _("Could not reach the bin")
        NOT_NEEDED = "not_needed", _("Bin not full")
        DAMAGED = "damaged", _("Bin damaged")
        NO_TIME = "no_time", _("No time left")
        OTHER = "other", _("Other")

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveSmallIntegerField()
    bin = models.ForeignKey("sensors.Bin", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Forecast to cross its threshold by the end of the day, not yet a case.
    optional = models.BooleanField(default=False)
    arrives_at = models.DateTimeField()
    load_litres_after = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    skip_reason = models.CharField(
        max_length=12, choices=SkipReason.choices, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["route", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "position"], name="stop_position_unique"
            )
        ]

    def __str__(self):
        return f"{self.route} #{self.position} {self.bin_id}"
