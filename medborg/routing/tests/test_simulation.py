from datetime import date

import numpy as np
import pytest

from medborg.routing import simulation
from medborg.routing.distances import haversine_m
from medborg.routing.planner import (
    PlannedRoute,
    PlannedStop,
    PlanResult,
    VehicleSpec,
)
from medborg.routing.policies import FixedRound, SensorPolicy
from medborg.routing.simulation import Bin, Selection, Town

MONDAY = date(2026, 5, 4)
TUESDAY = date(2026, 5, 5)
WEDNESDAY = date(2026, 5, 6)
THURSDAY = date(2026, 5, 7)
FRIDAY = date(2026, 5, 8)
SATURDAY = date(2026, 5, 9)


def town_of(*round_weekdays: int, volume: int = 200) -> Town:
    """One depot at index 0, then one bin per round weekday given."""
    bins = [
        Bin(
            key=f"bin-{n}",
            location=n + 1,
            volume_litres=volume,
            base=1.0,
            profile="street",
            round_weekday=day,
        )
        for n, day in enumerate(round_weekdays)
    ]
    vehicle = VehicleSpec(
        key="truck-1",
        depot=0,
        capacity_litres=10_000,
        capacity_kg=0,
        shift_start_s=6 * 3600,
        shift_end_s=15 * 3600,
    )
    points = [(56.0, 14.0)] + [(56.0 + n / 100, 14.0) for n in range(len(bins))]
    return Town(points=points, depots=[0], bins=bins, vehicles=[vehicle])


def fake_plan(problem, *, seconds, seed=1, leave_out=()):
    """Visit every required stop (but ``leave_out``) and optional ones with a
    prize of at least 200; 1 km per stop."""
    visited = [
        s
        for s in problem.stops
        if s.key not in leave_out and (not s.optional or s.prize >= 200)
    ]
    stops = [PlannedStop(key=s.key, arrival_s=0, load_litres_after=0) for s in visited]
    route = PlannedRoute(
        vehicle_key=problem.vehicles[0].key,
        stops=stops,
        distance_m=1000 * len(stops),
        duration_s=0,
        load_litres=0,
        load_kg=0,
        start_s=0,
        end_s=0,
    )
    return PlanResult(
        routes=[route] if stops else [],
        unplanned=[s.key for s in problem.stops if s.key in leave_out],
        distance_m=1000 * len(stops),
        duration_s=0,
        runtime_s=0.0,
        feasible=True,
    )


def run(town, policy, fill, levels, plan=fake_plan):
    matrix = np.zeros((len(town.points), len(town.points)), dtype=int)
    return simulation.simulate(
        town,
        policy,
        fill=np.asarray(fill, dtype=float),
        levels=np.asarray(levels, dtype=float),
        start=MONDAY,
        distance_m=matrix,
        duration_s=matrix,
        plan=plan,
        seconds=0.1,
    )


def test_make_town_is_the_same_for_the_same_seed():
    assert simulation.make_town(bins=50, seed=3) == simulation.make_town(
        bins=50, seed=3
    )


def test_make_town_puts_depots_first_and_shares_out_trucks_and_round_days():
    town = simulation.make_town(bins=100, trucks=4, seed=1)
    assert len(town.points) == 102
    assert town.depots == [0, 1]
    assert [b.location for b in town.bins] == list(range(2, 102))
    assert [v.depot for v in town.vehicles] == [0, 1, 0, 1]
    days = [b.round_weekday for b in town.bins]
    assert [days.count(day) for day in range(5)] == [20, 20, 20, 20, 20]


def test_make_town_keeps_bins_within_the_radius():
    town = simulation.make_town(bins=300, seed=2, radius_km=15.0)
    farthest = max(haversine_m(simulation.CENTRE, p) for p in town.points[2:])
    assert farthest < 15_050


@pytest.mark.parametrize(
    ("day", "factor"),
    [(date(2026, 7, 15), 1.25), (date(2026, 1, 13), 0.75), (date(2026, 4, 15), 1.0)],
)
def test_season_factor_peaks_in_july(day, factor):
    assert round(simulation.season_factor(day), 2) == factor


def test_daily_fill_is_base_times_weekday_times_season_without_noise(monkeypatch):
    monkeypatch.setattr(simulation, "NOISE_SIGMA", 0.0)
    town = town_of(0)
    park = Bin("p", 2, 200, 2.0, "park", 0)
    town = Town(town.points + [(56.1, 14.1)], [0], [*town.bins, park], town.vehicles)
    # 15 July 2026 is a Wednesday at the season's peak.
    fill = simulation.daily_fill(town, start=date(2026, 7, 15), days=4)
    assert fill.shape == (4, 2)
    assert fill[0].tolist() == [1.1 * 1.25, 2.0 * 0.75 * 1.25]
    assert round(fill[3][1], 6) == round(
        2.0 * 1.4 * simulation.season_factor(date(2026, 7, 18)), 6
    )


def test_daily_fill_is_the_same_for_the_same_seed():
    town = simulation.make_town(bins=20, seed=1)
    first = simulation.daily_fill(town, start=MONDAY, days=5, seed=7)
    again = simulation.daily_fill(town, start=MONDAY, days=5, seed=7)
    other = simulation.daily_fill(town, start=MONDAY, days=5, seed=8)
    assert (first == again).all()
    assert not (first == other).all()


def test_initial_levels_count_the_days_since_the_round_emptied_the_bin():
    levels = simulation.initial_levels(town_of(0, 1, 4), start=MONDAY)
    season = simulation.season_factor(MONDAY)
    assert levels.tolist() == [7 * season, 6 * season, 3 * season]


def test_fixed_round_fill_averages_the_levels_it_empties_capped_at_100():
    town = town_of(0, 0)
    fill = np.array([[10.0, 20.0]] * 8)
    average = simulation.fixed_round_fill(
        town, fill=fill, levels=np.array([70.0, 40.0]), start=MONDAY
    )
    # Emptied on both Mondays: 70 and 40, then 70 and 140 → 100.
    assert average == (70 + 40 + 70 + 100) / 4


def test_calibrate_finds_the_scale_that_gives_the_target_fill():
    town = town_of(0)
    fill = np.ones((21, 1))
    scale = simulation.calibrate(
        town, fill=fill, levels=np.array([7.0]), start=MONDAY, target=56.0
    )
    assert round(scale, 2) == 8.0


def test_calibrate_refuses_a_target_outside_0_to_100():
    with pytest.raises(ValueError, match="between 0 and 100"):
        simulation.calibrate(
            town_of(0),
            fill=np.ones((7, 1)),
            levels=np.zeros(1),
            start=MONDAY,
            target=100,
        )


def test_fixed_round_empties_only_that_days_bins_on_working_days():
    policy = FixedRound(town_of(0, 1, 0))
    assert policy.morning(MONDAY, np.zeros(3)) == Selection([0, 2], {})
    assert policy.morning(date(2026, 5, 5), np.zeros(3)) == Selection([1], {})
    assert policy.morning(date(2026, 5, 9), np.zeros(3)) == Selection([], {})


def test_simulate_counts_overflow_bin_days_kilometres_and_fill():
    # Emptied on Monday at 50 %, then 30 points a day: above 100 % from Thursday.
    outcome = run(town_of(0), FixedRound(town_of(0)), [[30.0]] * 7, [50.0])
    assert outcome.collections == 1
    assert outcome.kilometres == 1.0
    assert outcome.daily_km == [1.0, 0, 0, 0, 0, 0, 0]
    assert outcome.mean_fill == 50.0
    assert outcome.overflow_bin_days == 4
    assert outcome.bin_days == 7
    assert outcome.service_level == 1 - 4 / 7
    assert outcome.truck_days == 1


def test_simulate_keeps_a_bin_the_planner_left_out():
    def plan(problem, *, seconds, seed=1):
        return fake_plan(problem, seconds=seconds, leave_out={"0"})

    outcome = run(town_of(0), FixedRound(town_of(0)), [[30.0]] * 2, [90.0], plan)
    assert outcome.collections == 0
    assert outcome.unplanned == 1
    assert outcome.overflow_bin_days == 2
    assert outcome.kilometres == 0


def test_sensor_policy_requires_bins_at_or_forecast_to_reach_the_threshold():
    policy = SensorPolicy(initial_rate=np.array([10.0, 10.0, 10.0]))
    # 80 % now; 85 % tomorrow morning; 60 % tomorrow morning.
    selection = policy.morning(MONDAY, np.array([80.0, 75.0, 50.0]))
    assert selection == Selection([0, 1], {})
    assert policy.case.tolist() == [True, True, False]


def test_sensor_policy_on_friday_looks_over_the_weekend():
    policy = SensorPolicy(initial_rate=np.array([10.0, 10.0]))
    # Monday morning: 85 and 70.
    assert policy.morning(FRIDAY, np.array([55.0, 40.0])) == Selection([0], {})
    policy = SensorPolicy(initial_rate=np.array([10.0, 10.0]))
    assert policy.morning(THURSDAY, np.array([55.0, 40.0])) == Selection([], {})


def test_sensor_policy_opens_cases_but_collects_nothing_at_weekends():
    policy = SensorPolicy(initial_rate=np.array([10.0]))
    assert policy.morning(SATURDAY, np.array([100.0])) == Selection([], {})
    assert policy.case.tolist() == [True]


def test_sensor_policy_learns_each_weekdays_rise():
    policy = SensorPolicy(initial_rate=np.array([10.0, 10.0, 10.0]), learning=0.5)
    policy.morning(MONDAY, np.array([10.0, 90.0, 95.0]))
    policy.emptied([1])
    policy.morning(TUESDAY, np.array([30.0, 12.0, 100.0]))
    # Risen 20, 12 from empty; a reading of 100 % says too little to learn from.
    assert policy.rates[:, 0].tolist() == [15.0, 11.0, 10.0]
    assert policy.rates[:, 1].tolist() == [10.0, 10.0, 10.0]


def test_sensor_policy_empties_a_bin_on_its_collection_day_if_it_cannot_wait():
    policy = SensorPolicy(
        initial_rate=np.array([10.0, 10.0, 5.0]), collection_weekdays=[0, 1, 0]
    )
    # At each one's next collection day: 100 (a week on), 40 (tomorrow), 65.
    selection = policy.morning(MONDAY, np.array([30.0, 30.0, 30.0]))
    assert selection == Selection([0], {})


def test_sensor_policy_fetches_a_bin_off_its_day_only_as_a_detour_before_it_overflows():
    policy = SensorPolicy(
        initial_rate=np.array([10.0, 10.0]),
        collection_weekdays=[1, 1],
        overflow_prize_m=700,
    )
    # Both reach 80 % off their Tuesday: cases, not due. Tomorrow: 105 and 91.
    selection = policy.morning(WEDNESDAY, np.array([95.0, 81.0]))
    assert policy.case.tolist() == [True, True]
    assert selection == Selection([], {0: 700})


def test_sensor_policy_requires_a_bin_that_missed_its_collection_day():
    policy = SensorPolicy(initial_rate=np.array([10.0]), collection_weekdays=[0])
    assert policy.morning(MONDAY, np.array([75.0])) == Selection([0], {})
    # Not emptied on Monday (the planner had no room): due on Tuesday.
    assert policy.morning(TUESDAY, np.array([85.0])) == Selection([0], {})
    policy.emptied([0])
    assert policy.case.tolist() == [False]


def test_sensor_policy_in_simulation_empties_the_bins_it_chose():
    town = town_of(0, 0)
    policy = SensorPolicy(initial_rate=np.array([10.0, 10.0]))
    outcome = run(town, policy, [[10.0, 10.0]] * 3, [75.0, 20.0])
    # Monday: bin 0 forecast at 85 % → emptied; bin 1 reaches 40 % by Wednesday.
    assert outcome.collections == 1
    assert outcome.mean_fill == 75.0
    assert outcome.overflow_bin_days == 0
    assert policy.case.tolist() == [False, False]


def test_day_problem_takes_the_chosen_bins_and_caps_their_load():
    town = town_of(0, 0, 0, volume=240)
    distance = np.arange(16).reshape(4, 4)
    problem = simulation.day_problem(
        town,
        Selection(required=[2], optional={0: 120}),
        np.array([50.0, 10.0, 130.0]),
        distance,
        distance,
        service_s=60,
    )
    assert [(s.key, s.location, s.demand_litres) for s in problem.stops] == [
        ("2", 1, 240),
        ("0", 2, 120),
    ]
    assert [(s.optional, s.prize) for s in problem.stops] == [(False, 0), (True, 120)]
    assert problem.distance_m == [[0, 3, 1], [12, 15, 13], [4, 7, 5]]
    assert problem.vehicles[0].depot == 0
