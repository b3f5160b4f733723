from datetime import UTC, datetime, timedelta

import pytest

from medborg.sensors import faults
from medborg.sensors.faults import Fault

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def every(minutes, fills, *, end=NOW):
    start = end - timedelta(minutes=minutes * (len(fills) - 1))
    return [(start + timedelta(minutes=minutes * i), f) for i, f in enumerate(fills)]


def detect(readings, **overrides):
    options = {
        "last_seen": readings[-1][0] if readings else NOW,
        "battery": 80.0,
        "now": NOW,
        "silence_hours": 24,
        "others_changed": True,
        **overrides,
    }
    return faults.detect(readings, **options)


@pytest.mark.parametrize(
    ("last_seen", "silent"),
    [
        (NOW - timedelta(hours=23, minutes=59), False),
        (NOW - timedelta(hours=24), True),
        (None, True),
    ],
)
def test_silent_after_the_configured_hours(last_seen, silent):
    assert faults.is_silent(last_seen, now=NOW, hours=24) is silent


def test_twelve_equal_readings_over_a_day_are_stuck():
    readings = every(60, [10, 20] + [42] * 25)
    assert faults.stuck_since(readings) == NOW - timedelta(hours=24)
    assert detect(readings) == Fault.STUCK


def test_equal_readings_for_less_than_a_day_are_not_stuck():
    readings = every(60, [10, 20] + [42] * 24)
    assert faults.stuck_since(readings) is None
    assert detect(readings) is None


def test_too_few_equal_readings_are_not_stuck_however_long():
    readings = every(240, [42] * 11)
    assert faults.stuck_since(readings) is None


def test_a_stuck_value_is_no_fault_while_no_other_sensor_changes():
    readings = every(60, [42] * 30)
    assert detect(readings, others_changed=False) is None


def test_a_rise_of_more_than_sixty_points_in_minutes_is_a_jump():
    readings = every(5, [10, 12, 80, 81])
    assert faults.jump(readings) == NOW - timedelta(minutes=5)
    assert detect(readings) == Fault.JUMP


@pytest.mark.parametrize(
    ("minutes", "fills"),
    [(5, [10, 70, 72]), (10, [10, 80, 81]), (5, [95, 0, 5])],
    ids=["sixty-points", "ten-minutes", "emptying"],
)
def test_plausible_changes_are_no_jump(minutes, fills):
    assert faults.jump(every(minutes, fills)) is None


def test_a_jump_stops_being_a_fault_a_day_later():
    readings = every(5, [10, 80], end=NOW - timedelta(hours=24))
    readings += [(NOW, 81)]
    assert detect(readings) is None


def test_low_battery_is_the_last_fault_reported():
    readings = every(60, [10, 20, 30])
    assert detect(readings, battery=9.9) == Fault.BATTERY
    assert detect(readings, battery=10.0) is None
    assert detect(readings, battery=None) is None


def test_silence_comes_before_other_faults():
    readings = every(60, [42] * 30, end=NOW - timedelta(hours=30))
    assert detect(readings, battery=1.0) == Fault.SILENT
