from datetime import UTC, date, datetime

import pytest

from medborg.opendata import compute
from medborg.opendata.compute import Fact, Sweep, classify, percentile
from medborg.opendata.indicators import Granularity, Scope
from medborg.processes import deadlines

ZONE = "Europe/Stockholm"


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def event(when, case_id, kind, submitted=None, service_id=1, channel="web", **data):
    found = classify(kind, when, data)
    return compute.Event(
        at=when,
        case_id=case_id,
        service_id=service_id,
        submitted_at=submitted or when,
        channel=channel,
        **found,
    )


@pytest.mark.parametrize(
    ("kind", "data", "facts"),
    [
        ("case.submitted", {}, (Fact.SUBMITTED,)),
        ("case.moved", {"status": "in_progress"}, ()),
        (
            "case.moved",
            {"status": "in_progress", "step_due": "2026-03-01T00:00:00+00:00"},
            (Fact.STEP_LEFT,),
        ),
        ("case.moved", {"status": "closed"}, (Fact.CLOSED,)),
        ("case.duplicate", {}, (Fact.CLOSED,)),
        ("case.referred", {"organisation": "Trafikverket"}, (Fact.CLOSED,)),
        ("case.referred", {"team": "roads"}, ()),
        ("case.reopened", {}, (Fact.REOPENED,)),
        (
            "decision.appealed",
            {"reopened": True, "automated": True},
            (Fact.REOPENED, Fact.CHALLENGED),
        ),
        ("decision.appealed", {"reopened": False, "automated": False}, ()),
        ("decision.made", {"automated": True}, (Fact.DECIDED_AUTOMATICALLY,)),
        ("decision.overridden", {"overrides_automated": True}, (Fact.CHALLENGED,)),
        ("decision.overridden", {"overrides_automated": False}, ()),
        ("case.rated", {"score": "4"}, (Fact.RATED,)),
        ("case.note", {}, ()),
    ],
)
def test_classify_names_what_each_event_counts_as(kind, data, facts):
    assert classify(kind, at(3, 2), data)["facts"] == facts


@pytest.mark.parametrize(
    ("due", "late"),
    [
        ("2026-03-02T10:00:00+00:00", False),
        ("2026-03-02T09:59:59+00:00", True),
        (None, None),
    ],
)
def test_a_closing_is_late_only_after_its_recorded_deadline(due, late):
    found = classify("case.moved", at(3, 2), {"status": "closed", "due": due})
    assert found["late"] is late


@pytest.mark.parametrize("value", [True, 1, "1", "true"])
def test_json_booleans_from_either_database_count(value):
    found = classify("case.moved", at(3, 2), {"status": "closed", "automated": value})
    assert found["automated"] is True


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, None),
        ([4.0], 0.9, 4.0),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
    ],
)
def test_percentile_interpolates_between_closest_ranks(values, share, expected):
    assert percentile(values, share) == pytest.approx(expected)


def test_working_days_skip_weekends_and_holidays():
    days = compute.WorkingDays("SE")
    # Thursday 2 April 2026 to Tuesday 7 April: Good Friday and Easter Monday.
    assert days.between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert days.between(date(2026, 4, 7), date(2026, 4, 7)) == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 1, 3), date(2026, 4, 7)), (date(2026, 12, 20), date(2027, 1, 10))],
)
def test_working_days_agree_with_the_deadline_calendar(start, end):
    counted = compute.WorkingDays("SE").between(start, end)
    assert counted == deadlines.working_days_between(
        datetime(start.year, start.month, start.day, 12, tzinfo=UTC),
        datetime(end.year, end.month, end.day, 12, tzinfo=UTC),
        country="SE",
        time_zone=ZONE,
    )


def run(events, *, until, start=date(2026, 1, 1), open_cases=None):
    sweep = Sweep(
        start=start, until=until, time_zone=ZONE, country="SE", open_cases=open_cases
    )
    return sweep.run(events)


def test_the_sweep_counts_received_closed_and_times_in_the_closing_month():
    tallies = run(
        [
            event(at(1, 5), 1, "case.submitted", channel="web"),
            event(at(1, 6), 2, "case.submitted", channel="open311"),
            event(at(1, 7), 1, "case.moved", at(1, 5), status="closed"),
            event(at(2, 3), 2, "case.moved", at(1, 6), status="closed"),
        ],
        until=at(2, 28),
    )
    january, february = tallies[(date(2026, 1, 1), 1)], tallies[(date(2026, 2, 1), 1)]
    assert (dict(january.received), january.closed) == ({"web": 1, "open311": 1}, 1)
    assert list(january.calendar_days) == [2.0]
    # Tuesday 6 January (Epiphany) is a holiday in Sweden: only the 7th counts.
    assert list(january.working_days) == [1]
    assert (february.closed, list(february.working_days)) == (1, [20])


def test_the_backlog_is_taken_at_each_month_end_with_ages():
    tallies = run(
        [
            event(at(1, 2), 1, "case.submitted"),
            event(at(1, 30), 2, "case.submitted"),
            event(at(2, 10), 2, "case.moved", at(1, 30), status="closed"),
            event(at(3, 1), 2, "case.reopened", at(1, 30)),
        ],
        until=at(3, 15),
    )
    # End of January: case 1 is 29 days old, case 2 one day.
    assert tallies[(date(2026, 1, 1), 1)].backlog == [2, 1, 1, 0, 0]
    assert tallies[(date(2026, 2, 1), 1)].backlog == [1, 0, 0, 1, 0]
    # The running month's backlog is taken at ``until``.
    assert tallies[(date(2026, 3, 1), 1)].backlog == [2, 0, 0, 2, 0]


def test_cases_open_at_the_start_carry_into_the_backlog():
    tallies = run(
        [event(at(4, 2), 7, "case.moved", at(3, 1), status="closed")],
        start=date(2026, 4, 1),
        until=at(5, 31),
        open_cases={7: (1, at(3, 1)), 8: (1, at(3, 2))},
    )
    assert tallies[(date(2026, 4, 1), 1)].backlog[0] == 1
    assert tallies[(date(2026, 5, 1), 1)].backlog[0] == 1


def test_figures_derive_shares_means_and_suppressible_counts():
    tally = compute.Tally()
    tally.received.update({"web": 3, "api": 1, "open311": 1, "staff": 2})
    tally.closed, tally.with_deadline, tally.on_time = 4, 4, 3
    tally.reopened, tally.closed_automatically = 1, 2
    tally.decided_automatically, tally.challenged = 2, 1
    tally.scores.update({5: 2, 3: 1})
    got = {name: (value, count) for name, value, count in compute.figures(tally)}
    assert got["received"] == (7, 7)
    assert got["received_api"] == (2, 2)
    assert got["within_deadline_share"] == (75.0, 4)
    assert got["reopened_share"] == (25.0, 4)
    assert got["automated_share"] == (50.0, 4)
    assert got["automated_challenged_share"] == (50.0, 2)
    assert got["satisfaction_mean"] == (pytest.approx(13 / 3), 3)
    assert got["satisfaction_5"] == (2, 2)
    assert got["processing_days_median"] == (None, 0)


def test_rollup_adds_services_to_categories_and_months_to_quarters():
    tallies = run(
        [
            event(at(1, 5), 1, "case.submitted", service_id=1),
            event(at(2, 5), 2, "case.submitted", service_id=2),
            event(at(3, 5), 3, "case.submitted", service_id=2),
        ],
        until=at(3, 31),
    )
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    scopes = {1: ("lamp", "streets"), 2: ("hole", "streets"), 3: ("tree", "parks")}
    found = {
        (g, start, scope, key): tally
        for g, start, scope, key, tally in compute.rollup(
            tallies, scopes=scopes, months=months
        )
    }
    quarter = (Granularity.QUARTER, date(2026, 1, 1))
    assert sum(found[(*quarter, Scope.CATEGORY, "streets")].received.values()) == 3
    assert sum(found[(*quarter, Scope.CATEGORY, "parks")].received.values()) == 0
    # A quarter's backlog is the one at its last month's end, not a sum.
    assert found[(*quarter, Scope.MUNICIPALITY, "")].backlog[0] == 3
    # Three months and a quarter, for three services, two categories and the whole.
    assert len(found) == 4 * 6
