from datetime import UTC, datetime, time, timedelta

import pytest

from medborg.sensors import forecast

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def hourly(start, fills):
    return [(start + timedelta(hours=h), fill) for h, fill in enumerate(fills)]


def weekly_history(days=21, weekday_rate=0.1, weekend_rate=0.2):
    """Hourly readings from MONDAY, rising faster at weekends."""
    readings, fill = [], 0.0
    for hour in range(days * 24 + 1):
        at = MONDAY + timedelta(hours=hour)
        readings.append((at, fill))
        fill += weekend_rate if at.weekday() >= 5 else weekday_rate
    return readings


def test_a_steady_rise_gives_its_rate():
    assert forecast.fill_rate(hourly(MONDAY, [10, 12, 14, 16, 18])) == 2.0


def test_noise_below_the_line_never_makes_a_negative_rate():
    assert forecast.fill_rate(hourly(MONDAY, [50, 49, 48])) == 0.0


@pytest.mark.parametrize(
    "readings",
    [
        [],
        [(MONDAY, 10.0)],
        [(MONDAY, 10.0), (MONDAY + timedelta(minutes=30), 20.0)],
    ],
)
def test_too_little_data_gives_no_rate(readings):
    assert forecast.fill_rate(readings) is None


def test_a_drop_of_thirty_points_is_an_emptying():
    readings = hourly(MONDAY, [70, 75, 5, 8, 11])
    assert forecast.cycle_start(readings) == 2
    assert forecast.emptied_at(readings) == MONDAY + timedelta(hours=2)


def test_a_smaller_drop_is_not_an_emptying():
    readings = hourly(MONDAY, [70, 75, 46, 50])
    assert forecast.cycle_start(readings) == 0
    assert forecast.emptied_at(readings) is None


def test_the_last_of_several_emptyings_counts():
    readings = hourly(MONDAY, [90, 0, 50, 95, 10, 12])
    assert forecast.cycle_start(readings) == 4


def test_forecast_uses_the_cycle_since_the_last_emptying():
    result = forecast.forecast(hourly(MONDAY, [70, 75, 5, 8, 11]), threshold=80)
    assert result == forecast.Forecast(
        fill_percent=11,
        measured_at=MONDAY + timedelta(hours=4),
        rate_per_hour=3.0,
        # 69 points to go at 3 an hour: 23 hours after 04:00.
        crosses_at=datetime(2026, 3, 3, 3, tzinfo=UTC),
        emptied_at=MONDAY + timedelta(hours=2),
        weekday_factors=None,
    )


def test_a_full_bin_crosses_when_measured():
    result = forecast.forecast(hourly(MONDAY, [70, 80, 85]), threshold=80)
    assert result.crosses_at == MONDAY + timedelta(hours=2)


def test_a_bin_that_does_not_fill_never_crosses():
    result = forecast.forecast(hourly(MONDAY, [20, 20, 20]), threshold=80)
    assert result.rate_per_hour == 0.0
    assert result.crosses_at is None


def test_no_readings_no_forecast():
    assert forecast.forecast([], threshold=80) is None


def test_a_crossing_beyond_the_horizon_is_none():
    assert forecast.crossing_time(fill=0, at=MONDAY, rate=0.01, threshold=80) is None


def test_weekday_factors_compare_each_day_with_the_mean():
    factors = forecast.weekday_factors(weekly_history())
    # 0.1 an hour on weekdays, 0.2 at weekends: the mean is 64.8 / 504 = 9/70.
    assert factors == pytest.approx((7 / 9,) * 5 + (14 / 9,) * 2)


def test_weekday_factors_need_three_weeks():
    assert forecast.weekday_factors(weekly_history(days=20)) is None


def test_weekday_factors_leave_out_the_time_of_a_fall():
    history = weekly_history()
    # An emptying just before the end: its hour tells nothing about the rate.
    history[-1] = (history[-1][0], 0.0)
    factors = forecast.weekday_factors(history)
    # Sunday's last hour is left out: 64.6 points in 503 hours.
    mean = 64.6 / 503
    assert factors == pytest.approx((0.1 / mean,) * 5 + (0.2 / mean,) * 2)


def test_crossing_time_follows_the_weekday_factors():
    friday = MONDAY + timedelta(days=4)
    crossing = forecast.crossing_time(
        fill=50,
        at=friday,
        rate=1.0,
        threshold=80,
        factors=(1, 1, 1, 1, 1, 2, 2),
    )
    # 24 points on Friday, then 6 more at 2 an hour on Saturday.
    assert crossing == friday + timedelta(hours=27)


def test_forecast_with_history_scales_the_cycle_rate_to_an_average_day():
    history = weekly_history()
    monday = history[-1][0]
    # Emptied at 01:00 on the fourth Monday, then 0.1 an hour again.
    history += [(monday + timedelta(hours=h), 0.1 * (h - 1)) for h in range(1, 12)]
    result = forecast.forecast(history, threshold=5)
    mean = (64.8 + 1.0) / (504 + 10)
    assert result.weekday_factors[0] == pytest.approx(0.1 / mean)
    assert result.rate_per_hour == pytest.approx(mean)
    assert result.emptied_at == monday + timedelta(hours=1)
    # 1.0 at 11:00; +1.3 by midnight, +2.4 on Tuesday, 0.3 more by 03:00 Wednesday.
    expected = monday + timedelta(days=2, hours=3)
    assert abs(result.crosses_at - expected) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "weekdays", "expected"),
    [
        # Monday: the next allowed day after today is Tuesday.
        (
            MONDAY + timedelta(hours=9),
            [0, 1, 2, 3, 4],
            datetime(2026, 3, 3, 6, tzinfo=UTC),
        ),
        # Monday, bin emptied only Mondays and Thursdays: Thursday.
        (MONDAY + timedelta(hours=9), [0, 3], datetime(2026, 3, 5, 6, tzinfo=UTC)),
        # Friday, weekdays only: the next Monday.
        (
            MONDAY + timedelta(days=4),
            [0, 1, 2, 3, 4],
            datetime(2026, 3, 9, 6, tzinfo=UTC),
        ),
        # Only Mondays: a week later.
        (MONDAY, [0], datetime(2026, 3, 9, 6, tzinfo=UTC)),
    ],
)
def test_next_collection_is_the_next_allowed_day_after_today(now, weekdays, expected):
    assert (
        forecast.next_collection(weekdays=weekdays, window_start=time(6), now=now)
        == expected
    )


def test_no_allowed_day_no_next_collection():
    assert (
        forecast.next_collection(weekdays=[], window_start=time(6), now=MONDAY) is None
    )
