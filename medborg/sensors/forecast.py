"""Forecast when a bin reaches its threshold from its recent fill levels.

Pure: works on lists of ``(measured_at, fill_percent)`` pairs in time order,
with aware datetimes already in the municipality's time zone (weekdays are
read from them). Nothing here touches the database.

- An emptying is a drop of at least ``EMPTYING_DROP`` points between two
  consecutive readings; the cycle since the last emptying is what counts.
- The fill rate (points per hour) is the least-squares slope of the cycle's
  readings, never below zero (a sensor's noise must not make a bin empty itself).
- With at least ``WEEKDAY_HISTORY_DAYS`` of history every weekday gets a
  factor: its rate over the whole history divided by the mean rate. The
  cycle's rate is then taken to be the rate of an average day, and each day
  ahead fills at that rate times the day's factor (markets on Saturdays fill
  the square's bins faster than Tuesdays do).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

EMPTYING_DROP = 30.0
WEEKDAY_HISTORY_DAYS = 21
# A forecast further ahead than this says nothing useful for planning.
HORIZON = timedelta(days=60)

Readings = list[tuple[datetime, float]]


@dataclass(frozen=True)
class Forecast:
    fill_percent: float
    measured_at: datetime
    # Points per hour on an average day; None: not enough readings to tell.
    rate_per_hour: float | None
    # When the fill level reaches the threshold; None: not within HORIZON.
    crosses_at: datetime | None
    # The first reading after the last emptying seen, or None.
    emptied_at: datetime | None
    # Seven factors, Monday first, or None without enough history.
    weekday_factors: tuple[float, ...] | None


def cycle_start(readings: Readings, *, drop: float = EMPTYING_DROP) -> int:
    """Return the index of the first reading after the last emptying (0 if none)."""
    for index in range(len(readings) - 1, 0, -1):
        if readings[index - 1][1] - readings[index][1] >= drop:
            return index
    return 0


def emptied_at(readings: Readings, *, drop: float = EMPTYING_DROP) -> datetime | None:
    """Return when the last emptying was first seen, or None if there was none."""
    start = cycle_start(readings, drop=drop)
    return readings[start][0] if start else None


def fill_rate(readings: Readings) -> float | None:
    """Return the least-squares slope in points per hour, at least 0.

    None for fewer than two readings or readings less than an hour apart in
    all: a slope from minutes of data would be noise.
    """
    if len(readings) < 2:
        return None
    origin = readings[0][0]
    hours = [(at - origin).total_seconds() / 3600 for at, _ in readings]
    if hours[-1] - hours[0] < 1:
        return None
    fills = [fill for _, fill in readings]
    mean_h = sum(hours) / len(hours)
    mean_f = sum(fills) / len(fills)
    spread = sum((h - mean_h) ** 2 for h in hours)
    slope = (
        sum((h - mean_h) * (f - mean_f) for h, f in zip(hours, fills, strict=True))
        / spread
    )
    return max(slope, 0.0)


def _day_pieces(start: datetime, end: datetime):
    """Yield (piece start, weekday, hours) for each calendar day's part of [start, end).

    Days are cut at midnight of the datetimes' own time zone.
    """
    while start < end:
        midnight = datetime.combine(
            start.date() + timedelta(days=1), datetime.min.time(), start.tzinfo
        )
        stop = min(midnight, end)
        yield start, start.weekday(), (stop - start).total_seconds() / 3600
        start = stop


def weekday_factors(
    readings: Readings,
    *,
    min_days: int = WEEKDAY_HISTORY_DAYS,
) -> tuple[float, ...] | None:
    """Return each weekday's fill rate relative to the mean, Monday first.

    Each rise between consecutive readings is spread evenly over the hours
    between them; the time between readings that fall (an emptying, noise) is
    left out, since how much came in before the truck is unknown. None when
    the history spans fewer than ``min_days`` days, misses a weekday, or shows
    no rise at all.
    """
    if len(readings) < 2 or readings[-1][0] - readings[0][0] < timedelta(min_days):
        return None
    rise = [0.0] * 7
    hours = [0.0] * 7
    for (before, fill_before), (after, fill_after) in zip(
        readings, readings[1:], strict=False
    ):
        span = (after - before).total_seconds() / 3600
        if span <= 0 or fill_after < fill_before:
            continue
        per_hour = (fill_after - fill_before) / span
        for _, day, part in _day_pieces(before, after):
            hours[day] += part
            rise[day] += per_hour * part
    if min(hours) == 0 or sum(rise) == 0:
        return None
    mean = sum(rise) / sum(hours)
    return tuple((rise[day] / hours[day]) / mean for day in range(7))


def _mean_factor(start: datetime, end: datetime, factors) -> float:
    pieces = [(day, part) for _, day, part in _day_pieces(start, end)]
    total = sum(part for _, part in pieces)
    if total == 0:
        return 1.0
    return sum(factors[day] * part for day, part in pieces) / total


def crossing_time(
    *,
    fill: float,
    at: datetime,
    rate: float | None,
    threshold: float,
    factors: tuple[float, ...] | None = None,
) -> datetime | None:
    """Return when ``fill`` measured ``at`` reaches ``threshold``.

    ``at`` itself when already there; None when the rate is unknown or zero,
    or the crossing lies beyond HORIZON. With ``factors`` each day ahead fills
    at ``rate`` times its weekday's factor.
    """
    if fill >= threshold:
        return at
    if not rate:
        return None
    if factors is None:
        hours = (threshold - fill) / rate
        crossing = at + timedelta(hours=hours)
        return crossing if crossing - at <= HORIZON else None
    left = threshold - fill
    for piece_start, day, part in _day_pieces(at, at + HORIZON):
        per_hour = rate * factors[day]
        if per_hour > 0 and per_hour * part >= left:
            return piece_start + timedelta(hours=left / per_hour)
        left -= per_hour * part
    return None


def forecast(
    readings: Readings,
    *,
    threshold: float,
    min_history_days: int = WEEKDAY_HISTORY_DAYS,
    drop: float = EMPTYING_DROP,
) -> Forecast | None:
    """Forecast the bin's crossing of ``threshold``; None without readings.

    The rate comes from the cycle since the last emptying; with enough history
    it is turned into an average day's rate by dividing by the mean weekday
    factor over the cycle, and the days ahead follow their own factors.
    """
    if not readings:
        return None
    start = cycle_start(readings, drop=drop)
    cycle = readings[start:]
    rate = fill_rate(cycle)
    factors = weekday_factors(readings, min_days=min_history_days)
    if rate is not None and factors is not None:
        mean = _mean_factor(cycle[0][0], cycle[-1][0], factors)
        rate = rate / mean if mean > 0 else rate
    measured_at, fill = readings[-1]
    return Forecast(
        fill_percent=fill,
        measured_at=measured_at,
        rate_per_hour=rate,
        crosses_at=crossing_time(
            fill=fill, at=measured_at, rate=rate, threshold=threshold, factors=factors
        ),
        emptied_at=readings[start][0] if start else None,
        weekday_factors=factors,
    )


def next_collection(
    *,
    weekdays: list[int],
    window_start: time,
    now: datetime,
    collection_weekday: int | None = None,
) -> datetime | None:
    """Return the start of the next collection day after ``now``'s date.

    ``weekdays`` are the days the bin may be emptied (Monday = 0) and
    ``window_start`` when its window opens; ``collection_weekday``, when
    given, is the bin's area day, and then only that weekday counts. The
    result is in ``now``'s time zone; None without a day.
    """
    days = weekdays if collection_weekday is None else [collection_weekday]
    for ahead in range(1, 8):
        day = now.date() + timedelta(days=ahead)
        if day.weekday() in days:
            return datetime.combine(day, window_start, now.tzinfo)
    return None
