"""Read bins, their readings, forecasts and open cases for pages, planner and tasks."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from medborg.cases.models import Case
from medborg.sensors import forecast as forecasting
from medborg.sensors.models import Bin, BinCase, BinCaseReason, Reading

# Enough for weekday factors (three weeks) with a week to spare.
HISTORY_DAYS = 28
METRES_PER_DEGREE = 111_320


@dataclass(frozen=True)
class BinStatus:
    bin: Bin
    forecast: forecasting.Forecast | None
    emptying_case: Case | None

    @property
    def fill_percent(self) -> float | None:
        return self.forecast.fill_percent if self.forecast else None

    @property
    def crosses_at(self) -> datetime | None:
        return self.forecast.crosses_at if self.forecast else None


def _local(pairs):
    return [(timezone.localtime(at), fill) for at, fill in pairs]


def recent_readings(
    bin: Bin, *, now: datetime | None = None, days: int = HISTORY_DAYS
) -> forecasting.Readings:
    """Return the bin's readings of the last ``days`` days, oldest first, local time."""
    now = now or timezone.now()
    rows = (
        Reading.objects.filter(
            bin=bin, measured_at__gt=now - timedelta(days=days), measured_at__lte=now
        )
        .order_by("measured_at")
        .values_list("measured_at", "fill_percent")
    )
    return _local(rows)


def readings_by_bin(
    bin_ids, *, now: datetime, days: int = HISTORY_DAYS
) -> dict[int, forecasting.Readings]:
    """Return recent readings for many bins in one query, keyed by bin id."""
    rows = (
        Reading.objects.filter(
            bin_id__in=bin_ids,
            measured_at__gt=now - timedelta(days=days),
            measured_at__lte=now,
        )
        .order_by("bin_id", "measured_at")
        .values_list("bin_id", "measured_at", "fill_percent")
    )
    found = defaultdict(list)
    for bin_id, at, fill in rows:
        found[bin_id].append((timezone.localtime(at), fill))
    return found


def open_bin_cases(*, kind: str = BinCase.Kind.EMPTYING):
    """Return the open bin cases of ``kind`` with their bin and case, oldest first."""
    return (
        BinCase.objects.filter(is_open=True, kind=kind)
        .select_related("bin", "case")
        .order_by("opened_at", "pk")
    )


def open_case_of(bin: Bin, *, kind: str = BinCase.Kind.EMPTYING) -> Case | None:
    link = BinCase.objects.filter(bin=bin, kind=kind, is_open=True).first()
    return link.case if link else None


def bin_status(bin: Bin, *, now: datetime | None = None) -> BinStatus:
    """Return the bin's latest fill level, forecast crossing and open emptying case."""
    now = now or timezone.now()
    return BinStatus(
        bin=bin,
        forecast=forecasting.forecast(
            recent_readings(bin, now=now), threshold=bin.threshold_percent
        ),
        emptying_case=open_case_of(bin),
    )


def start_of(date) -> datetime:
    """Midnight at the start of ``date`` in the current time zone."""
    return timezone.make_aware(datetime.combine(date, time()))


def end_of(date) -> datetime:
    """Midnight after ``date`` in the current time zone."""
    return start_of(date + timedelta(days=1))


class Need:
    """Why a bin is on a day's plan (``ToCollect.need``)."""

    # An open case that is due today: required.
    DUE = "due"
    # No case, due today, forecast to cross its threshold by the end of the day.
    SOON = "soon"
    # An open case waiting for its collection day, forecast to be full before
    # the next day it may be emptied: worth a detour, not a trip.
    OVERFLOW = "overflow"


# Cases a person asked for are due at once, whatever the bin's collection day.
ASKED_FOR = frozenset({BinCaseReason.CITIZEN, BinCaseReason.STAFF})


@dataclass(frozen=True)
class ToCollect:
    bin: Bin
    case: Case | None
    need: str

    @property
    def optional(self) -> bool:
        return self.need != Need.DUE


def _due(bin: Bin, link: BinCase, date) -> bool:
    """Whether the open case ``link`` must be emptied on ``date``.

    A bin without a collection day is due whenever it has a case; one with a
    collection day on that day, or when its case was open before the end of
    the last collection day (the bin missed it: skipped, or no room), or when
    a citizen or staff asked for it.
    """
    if bin.round_weekday is None or link.reason in ASKED_FOR:
        return True
    since = (date.weekday() - bin.round_weekday) % 7
    if since == 0:
        return True
    last_day = date - timedelta(days=since)
    return link.opened_at < end_of(last_day)


def bins_to_collect(*, date) -> list[ToCollect]:
    """Return the bins to plan on ``date``, ordered by bin code.

    A bin with an open emptying case is required when the case is due
    (``_due``); otherwise it is listed, optional, only when it is forecast to
    be full (100 %) before the next day it may be emptied (``Need.OVERFLOW``).
    A bin without a case that is due on ``date`` (its collection day, or any
    day when it has none) and is forecast to cross its threshold before the end
    of the day is optional (``Need.SOON``). How a case opens: docs/bins.md.
    """
    links = {link.bin_id: link for link in open_bin_cases().filter(bin__active=True)}
    bins = list(Bin.objects.filter(active=True))
    now = min(timezone.now(), end_of(date))
    readings = readings_by_bin([b.pk for b in bins], now=now)
    deadline, found = end_of(date), []
    for bin in bins:
        link = links.get(bin.pk)
        if link is not None and _due(bin, link, date):
            found.append(ToCollect(bin, link.case, Need.DUE))
            continue
        history = readings.get(bin.pk, [])
        if link is not None:
            full = forecasting.forecast(history, threshold=100)
            next_day = forecasting.next_collection(
                weekdays=bin.window_weekdays,
                window_start=bin.window_start,
                now=start_of(date),
            )
            if full and full.crosses_at and next_day and full.crosses_at < next_day:
                found.append(ToCollect(bin, link.case, Need.OVERFLOW))
            continue
        if bin.round_weekday not in (None, date.weekday()):
            continue
        result = forecasting.forecast(history, threshold=bin.threshold_percent)
        if result and result.crosses_at and result.crosses_at < deadline:
            found.append(ToCollect(bin, None, Need.SOON))
    return sorted(found, key=lambda item: item.bin.code)


def bins_needing_emptying(*, date) -> list[Bin]:
    """Return the bins ``bins_to_collect`` lists for ``date``, required or not."""
    return [item.bin for item in bins_to_collect(date=date)]


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def nearest_bin(*, latitude: float, longitude: float, radius_m: float) -> Bin | None:
    """Return the nearest active bin within ``radius_m`` metres, or None."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(latitude)), 0.01)
    candidates = Bin.objects.filter(
        active=True,
        latitude__range=(latitude - dlat, latitude + dlat),
        longitude__range=(longitude - dlon, longitude + dlon),
    )
    best = None
    for bin in candidates:
        distance = metres_between((latitude, longitude), (bin.latitude, bin.longitude))
        if distance <= radius_m and (best is None or distance < best[0]):
            best = (distance, bin.code, bin)
    return best[2] if best else None
