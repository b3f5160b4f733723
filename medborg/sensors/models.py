"""Public waste bins, the sensors in them and the fill levels they report.

A reading is unique by (device, measured_at): the same reading delivered twice
is stored once. A reading that cannot be right is kept in the quarantine with
its reason, never dropped. ``BinCase`` links a bin to its open cases and
guarantees, in the database, never two open cases of one kind for one bin.
"""

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Fraction(models.TextChoices):
    RESIDUAL = "residual", _("Residual waste")
    PACKAGING = "packaging", _("Packaging")
    PAPER = "paper", _("Paper")
    GLASS = "glass", _("Glass")
    ORGANIC = "organic", _("Food waste")


def weekdays_default() -> list[int]:
    return [0, 1, 2, 3, 4]


class Bin(models.Model):
    """A public waste bin: where it is, what it holds and when it may be emptied."""

    code = models.SlugField(_("identifier"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    fraction = models.CharField(
        _("waste fraction"),
        max_length=20,
        choices=Fraction.choices,
        default=Fraction.RESIDUAL,
    )
    volume_litres = models.PositiveIntegerField(
        _("volume (litres)"), validators=[MinValueValidator(1)]
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("needs emptying at (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    area = models.CharField(_("area"), max_length=80, blank=True)
    depot = models.ForeignKey(
        "routing.Depot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bins",
        verbose_name=_("depot"),
    )
    # When it may be emptied: Monday = 0, as Python's weekday().
    window_weekdays = models.JSONField(
        _("days it may be emptied"), default=weekdays_default
    )
    window_start = models.TimeField(_("may be emptied from"), default=time(6))
    window_end = models.TimeField(_("may be emptied until"), default=time(15))
    # The weekday of the fixed weekly round this bin is on, which stays its
    # area's collection day with sensors: the sensors decide whether it is
    # emptied that day, and it is the baseline plans are measured against.
    # Null: no collection day, emptied on any day it may be (docs/bins.md).
    round_weekday = models.PositiveSmallIntegerField(
        _("collection day"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(6)],
        help_text=_(
            "The weekday of its area's round. The sensors decide whether it is "
            "emptied that day; on other days only if it would overflow first."
        ),
    )
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__lt=models.F("window_end")),
                name="bin_window_start_before_end",
            )
        ]

    def __str__(self):
        return self.name or self.code


class Device(models.Model):
    """A fill-level sensor, identified by e.g. its LoRaWAN DevEUI."""

    identifier = models.CharField(_("identifier"), max_length=64, unique=True)
    bin = models.ForeignKey(
        Bin,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("bin"),
    )
    # An ultrasonic sensor reports its distance to the waste: the distance to
    # the bottom of an empty bin and to the waste of a full one turn it into %.
    empty_distance_mm = models.PositiveIntegerField(
        _("distance when empty (mm)"), null=True, blank=True
    )
    full_distance_mm = models.PositiveIntegerField(
        _("distance when full (mm)"), null=True, blank=True
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    battery_percent = models.FloatField(_("battery (%)"), null=True, blank=True)
    fault = models.CharField(_("fault"), max_length=40, blank=True)
    fault_since = models.DateTimeField(_("faulty since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(empty_distance_mm__isnull=True)
                | models.Q(full_distance_mm__isnull=True)
                | models.Q(full_distance_mm__lt=models.F("empty_distance_mm")),
                name="device_full_closer_than_empty",
            )
        ]

    def __str__(self):
        return self.identifier


class Source(models.TextChoices):
    MQTT = "mqtt", _("MQTT (Medborg JSON)")
    CHIRPSTACK = "chirpstack", _("MQTT (ChirpStack)")
    HTTP = "http", _("HTTP API")
    IMPORT = "import", _("Import")


class Reading(models.Model):
    """One fill level a device measured; stored once however often delivered."""

    id = models.BigAutoField(primary_key=True)
    # No single-column indexes: the unique (device, measured_at) and the
    # (bin, measured_at) indexes serve those lookups (ADR 0007).
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The bin the device sat in when it measured: a device can move.
    bin = models.ForeignKey(
        Bin,
        on_delete=models.CASCADE,
        null=True,
        related_name="readings",
        db_index=False,
    )
    measured_at = models.DateTimeField(_("measured at"))
    received_at = models.DateTimeField(_("received at"))
    fill_percent = models.FloatField(_("fill level (%)"))
    distance_mm = models.PositiveIntegerField(null=True, blank=True)
    battery_percent = models.FloatField(null=True, blank=True)
    temperature_c = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "measured_at"], name="reading_once_per_device_time"
            )
        ]
        indexes = [models.Index(fields=["bin", "measured_at"])]

    def __str__(self):
        return (
            f"{self.device_id} {self.measured_at:%Y-%m-%d %H:%M} {self.fill_percent}%"
        )


class QuarantinedReading(models.Model):
    """A reading that could not be right, kept with the reason for operators."""

    class Reason(models.TextChoices):
        UNKNOWN_DEVICE = "unknown_device", _("Unknown sensor")
        OUT_OF_RANGE = "out_of_range", _("Fill level outside 0–100 %")
        FUTURE = "future", _("Measured in the future")
        MALFORMED = "malformed", _("Unreadable message")
        NOT_CALIBRATED = "not_calibrated", _("Distance without calibration")

    received_at = models.DateTimeField(_("received at"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    device_identifier = models.CharField(_("sensor"), max_length=64, blank=True)
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    payload = models.JSONField(_("as received"))

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("quarantined reading")
        verbose_name_plural = _("quarantined readings")
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self):
        return f"{self.device_identifier or '?'}: {self.get_reason_display()}"


class DailyFill(models.Model):
    """A day of a device's readings, kept after the raw readings are downsampled."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    bin = models.ForeignKey(Bin, on_delete=models.CASCADE, null=True, related_name="+")
    day = models.DateField()
    readings = models.PositiveIntegerField()
    min_percent = models.FloatField()
    max_percent = models.FloatField()
    last_percent = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "day"], name="daily_fill_once")
        ]

    def __str__(self):
        return f"{self.device_id} {self.day:%Y-%m-%d}"


class BinCaseReason:
    """Why a bin case opened or closed (``BinCase.reason``, ``close_reason``)."""

    THRESHOLD = "threshold"
    FORECAST = "forecast"
    CITIZEN = "citizen"
    STAFF = "staff"
    EMPTIED_READING = "emptied_reading"
    DRIVER = "driver"


class BinCase(models.Model):
    """A case about a bin; at most one open case of each kind per bin."""

    class Kind(models.TextChoices):
        EMPTYING = "emptying", _("Emptying")
        FAULT = "fault", _("Faulty sensor")

    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="cases")
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="bin_link"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_open = models.BooleanField(default=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Why it was opened: "threshold", "forecast", "citizen", "stuck", "silent", ...
    reason = models.CharField(max_length=20)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bin", "kind"],
                condition=models.Q(is_open=True),
                name="bin_case_one_open_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.bin_id} {self.kind} {self.case_id}"
