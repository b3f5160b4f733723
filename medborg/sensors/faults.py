"""Tell a faulty sensor from a bin that is simply full, empty or unused.

Pure: works on ``(measured_at, fill_percent)`` pairs in time order and the
device's own fields. Faults, in the order they are reported:

- silent: no reading for ``SENSOR_SILENCE_HOURS`` (the caller passes it);
- stuck: the last ``STUCK_COUNT`` readings or more are the same value over at
  least ``STUCK_HOURS`` while other sensors' readings changed in that time (a
  park's bins in a quiet week all stay put; one bin alone does not);
- jump: a rise of more than ``JUMP_POINTS`` in less than ``JUMP_MINUTES``
  measured within the last ``JUMP_WINDOW``, which no bin fills that fast (a
  lid left open, a bag held in front of the sensor); it stays a fault that
  long after the last such rise;
- battery: the battery below ``LOW_BATTERY_PERCENT``.
"""

from datetime import datetime, timedelta
from enum import StrEnum

STUCK_COUNT = 12
STUCK_HOURS = 24
JUMP_POINTS = 60.0
JUMP_MINUTES = 10
JUMP_WINDOW = timedelta(hours=24)
LOW_BATTERY_PERCENT = 10.0

Readings = list[tuple[datetime, float]]


class Fault(StrEnum):
    SILENT = "silent"
    STUCK = "stuck"
    JUMP = "jump"
    BATTERY = "battery"


def is_silent(last_seen: datetime | None, *, now: datetime, hours: float) -> bool:
    """True when the last reading is ``hours`` old or older, or there is none."""
    return last_seen is None or now - last_seen >= timedelta(hours=hours)


def stuck_since(
    readings: Readings, *, count: int = STUCK_COUNT, hours: float = STUCK_HOURS
) -> datetime | None:
    """Return when the unchanging run of the latest readings began, or None.

    A run counts from ``count`` equal readings spanning at least ``hours``.
    """
    if not readings:
        return None
    last = readings[-1][1]
    index = len(readings) - 1
    while index > 0 and readings[index - 1][1] == last:
        index -= 1
    run = readings[index:]
    long_enough = run[-1][0] - run[0][0] >= timedelta(hours=hours)
    return run[0][0] if len(run) >= count and long_enough else None


def jump(
    readings: Readings,
    *,
    points: float = JUMP_POINTS,
    minutes: float = JUMP_MINUTES,
) -> datetime | None:
    """Return when the last implausible rise was measured, or None."""
    for (before, fill_before), (after, fill_after) in reversed(
        list(zip(readings, readings[1:], strict=False))
    ):
        fast = after - before < timedelta(minutes=minutes)
        if fast and fill_after - fill_before > points:
            return after
    return None


def is_low_battery(
    battery: float | None, *, below: float = LOW_BATTERY_PERCENT
) -> bool:
    return battery is not None and battery < below


def detect(
    readings: Readings,
    *,
    last_seen: datetime | None,
    battery: float | None,
    now: datetime,
    silence_hours: float,
    others_changed: bool,
) -> Fault | None:
    """Return the sensor's fault, the first in the module's order, or None.

    ``readings`` are the sensor's own, oldest first; ``others_changed`` says
    whether other sensors' readings changed during the last ``STUCK_HOURS``.
    """
    if is_silent(last_seen, now=now, hours=silence_hours):
        return Fault.SILENT
    if others_changed and stuck_since(readings) is not None:
        return Fault.STUCK
    jumped = jump(readings)
    if jumped is not None and now - jumped < JUMP_WINDOW:
        return Fault.JUMP
    if is_low_battery(battery):
        return Fault.BATTERY
    return None
