"""Compute due dates in working days, following the municipality's public holidays.

Pure: no ORM, no settings. A period of N working days that starts at a moment ends
at the end (23:59:59.999999 local time) of the N-th working day after the day of
that moment, so a case submitted on a Sunday evening or during a holiday starts
counting on the next working day, as the administrative procedure acts count.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    if country == "SE":
        # The library counts every Sunday as a Swedish holiday by default.
        calendar = holidays.country_holidays("SE", years=year, include_sundays=False)
    else:
        calendar = holidays.country_holidays(country, years=year)
    return frozenset(calendar)


def is_working_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_working_days(
    start: datetime, days: int, *, country: str, time_zone: str
) -> datetime:
    """Return the end of the ``days``-th working day after ``start``'s local date."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days < 0:
        raise ValueError("days must not be negative")
    zone = ZoneInfo(time_zone)
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, country):
            counted += 1
    return datetime.combine(day, time.max, tzinfo=zone)
