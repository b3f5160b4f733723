"""Compute due dates in working days, following the municipality's public holidays.

Pure: no ORM, no settings. Every moment passed in must be timezone-aware; the
calendar day of a moment is its date in the municipality's time zone, never in UTC.

The rules, in plain words:

- A period of N working days that starts at a moment ends at the end
  (23:59:59.999999 local time) of the N-th working day after the day of that
  moment. The day of the event itself is not counted, as Swedish and Danish
  administrative practice count periods from the next day, so a case submitted on
  a Sunday evening or during a holiday starts counting on the next working day.
- Saturdays, Sundays and public holidays are not working days.
- Sweden: also midsommarafton, julafton and nyårsafton. Lag (1930:173) om
  beräkning av lagstadgad tid, 2 §, treats them like Sundays for deadlines, and
  municipalities keep their offices closed. The library lists them in its
  ``DE_FACTO`` category, not among public holidays. Half days (trettondagsafton,
  skärtorsdagen, valborgsmässoafton and the other "from 2 pm" days of the
  library's ``BANK`` category) are working days.
- Denmark: also grundlovsdag (5 June), juleaftensdag (24 December) and
  nytårsaftensdag (31 December), the days Danish deadline rules name beside
  Sundays and holidays (e.g. forældelsesloven § 27, stk. 2). The library lists
  them in its ``OPTIONAL`` category together with 1 May, which is a day off only
  under some collective agreements and stays a working day here. Store bededag is
  a holiday up to 2023 and a working day from 2024, when it was abolished.
- While a case waits for the citizen its clock stops: the day it was put on hold
  counts as used, the day the answer comes does not, and the due date moves later
  by the working days in between (see ``resume_after_hold``).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from holidays.constants import DE_FACTO, OPTIONAL, PUBLIC

# The days of the library's Danish OPTIONAL category that close a municipality's
# offices; 1 May is left out (see the module docstring).
_DANISH_CLOSING_DAYS = frozenset({(6, 5), (12, 24), (12, 31)})


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    if country == "SE":
        # Passed explicitly: older releases of the library count every Sunday
        # as a Swedish holiday by default.
        calendar = holidays.country_holidays(
            "SE", years=year, categories=(PUBLIC, DE_FACTO), include_sundays=False
        )
        return frozenset(calendar)
    if country == "DK":
        # Two calendars, not one filtered by date: 1 May can also be a public
        # holiday (store bededag 2015, Kristi himmelfartsdag 2008).
        public = holidays.country_holidays("DK", years=year)
        optional = holidays.country_holidays("DK", years=year, categories=OPTIONAL)
        closing = {d for d in optional if (d.month, d.day) in _DANISH_CLOSING_DAYS}
        return frozenset(public) | closing
    return frozenset(holidays.country_holidays(country, years=year))


def _local_date(moment: datetime, name: str, zone: ZoneInfo) -> date:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(zone).date()


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone)


def is_working_day(day: date, country: str) -> bool:
    """Return whether ``day`` is a working day in ``country`` ("SE" or "DK")."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def _add(
    moment: datetime, name: str, days: int, country: str, zone: ZoneInfo
) -> datetime:
    day = _local_date(moment, name, zone)
    if days < 0:
        raise ValueError("days must not be negative")
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, country):
            counted += 1
    return _end_of_day(day, zone)


def add_working_days(
    start: datetime, days: int, *, country: str, time_zone: str
) -> datetime:
    """Return the end of the ``days``-th working day after ``start``'s local date.

    ``days=0`` gives the end of ``start``'s local day, working day or not.
    Raise ValueError for a naive ``start`` or negative ``days``.
    """
    return _add(start, "start", days, country, ZoneInfo(time_zone))


def working_days_between(
    start: datetime, end: datetime, *, country: str, time_zone: str
) -> int:
    """Count the working days after ``start``'s local date up to ``end``'s.

    The day of ``start`` is not counted, the day of ``end`` is; 0 when ``end``'s
    local date is not after ``start``'s. Raise ValueError for a naive moment.
    """
    zone = ZoneInfo(time_zone)
    first = _local_date(start, "start", zone)
    last = _local_date(end, "end", zone)
    return sum(
        is_working_day(first + timedelta(days=n), country)
        for n in range(1, (last - first).days + 1)
    )


def extend_by_working_days(
    due: datetime, days: int, *, country: str, time_zone: str
) -> datetime:
    """Return the end of the ``days``-th working day after ``due``'s local date.

    Raise ValueError for a naive ``due`` or ``days`` below 1.
    """
    if days < 1:
        raise ValueError("an extension must be at least 1 working day")
    return _add(due, "due", days, country, ZoneInfo(time_zone))


def resume_after_hold(
    due: datetime | None,
    *,
    held_from: datetime,
    held_until: datetime,
    country: str,
    time_zone: str,
) -> datetime | None:
    """Return ``due`` moved later by the working days the case was on hold.

    Those are ``working_days_between(held_from, held_until)``: the day the hold
    began counts as used; the working days after it, up to and including the day
    of the answer, are given back. A hold within one day, or
    over non-working days only, returns ``due`` unchanged; an overdue case stays
    overdue by as many working days as when it was put on hold. ``None`` (no due
    date) stays ``None``. Raise ValueError for a naive moment or a hold that ends
    before it begins.
    """
    zone = ZoneInfo(time_zone)
    _local_date(held_from, "held_from", zone)
    _local_date(held_until, "held_until", zone)
    if held_until < held_from:
        raise ValueError("held_until must not be before held_from")
    if due is None:
        return None
    _local_date(due, "due", zone)
    paused = working_days_between(
        held_from, held_until, country=country, time_zone=time_zone
    )
    if not paused:
        return due
    return _add(due, "due", paused, country, zone)


def due_within(now: datetime, days: int, *, country: str, time_zone: str) -> datetime:
    """Return the cut-off for "due within ``days`` working days" of ``now``.

    A case is due within the period when its due date is at or before the
    cut-off; ``days=0`` gives the end of today. Raise ValueError for a naive
    ``now`` or negative ``days``.
    """
    return _add(now, "now", days, country, ZoneInfo(time_zone))
