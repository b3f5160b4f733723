"""Snapshots of the published indicators, and other municipalities' figures.

A snapshot row is derived data: ``opendata.services`` writes it from the case
events and can always write it again. Small counts are stored as computed and
suppressed when published (``opendata.selectors``), so changing the threshold
needs no recomputation.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from medborg.opendata.indicators import Granularity, Scope


class Snapshot(models.Model):
    """One indicator's figure for one scope and period."""

    id = models.BigAutoField(primary_key=True)
    indicator = models.CharField(max_length=40)
    granularity = models.CharField(
        max_length=8, choices=[(g.value, g.value) for g in Granularity]
    )
    # "2026-11" for a month, "2026-Q4" for a quarter.
    period = models.CharField(max_length=7)
    period_start = models.DateField()
    scope = models.CharField(max_length=12, choices=[(s.value, s.value) for s in Scope])
    # The service's code, the category's key or the zone's key; "" for the
    # whole municipality.
    scope_key = models.CharField(max_length=60, blank=True)
    # None when the figure is undefined (a median of no cases).
    value = models.FloatField(null=True)
    # The cases, answers, steps or decisions the figure rests on.
    count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "granularity", "period", "scope", "scope_key"],
                name="snapshot_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["scope", "scope_key", "granularity", "period_start"],
                name="snapshot_scope",
            ),
            models.Index(
                fields=["granularity", "period_start"], name="snapshot_period"
            ),
        ]

    def __str__(self):
        return f"{self.indicator} {self.scope}:{self.scope_key} {self.period}"


class Progress(models.Model):
    """How far the snapshots are computed: one row, updated by each run."""

    last_event_id = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True)
    # From which period the last run recomputed, and how long it took.
    recomputed_from = models.DateField(null=True)
    seconds = models.FloatField(default=0)

    def __str__(self):
        return f"events up to {self.last_event_id}"


class Peer(models.Model):
    """Another municipality the cockpit compares with, from Kolada-shaped rows."""

    name = models.CharField(_("name"), max_length=120)
    municipality_code = models.CharField(
        _("municipality code"),
        max_length=4,
        help_text=_("SCB 4-digit code (Sweden) or 3-digit code (Denmark)."),
    )
    url = models.URLField(
        _("address of its figures"),
        blank=True,
        help_text=_(
            "A Kolada-shaped CSV file, such as another Medborg's "
            "/open-data/kolada.csv; fetched daily. Leave empty to upload a file."
        ),
    )
    active = models.BooleanField(_("shown in the cockpit"), default=True)
    fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    fetch_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality_code"], name="peer_unique")
        ]
        verbose_name = _("municipality to compare with")
        verbose_name_plural = _("municipalities to compare with")

    def __str__(self):
        return f"{self.name} ({self.municipality_code})"


class PeerValue(models.Model):
    """One figure of a peer municipality: (indicator, period, value, count)."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="values")
    indicator = models.CharField(max_length=40)
    period = models.CharField(max_length=7)
    value = models.FloatField(null=True)
    count = models.PositiveIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "indicator", "period"], name="peer_value_unique"
            )
        ]

    def __str__(self):
        return f"{self.peer_id} {self.indicator} {self.period}"
