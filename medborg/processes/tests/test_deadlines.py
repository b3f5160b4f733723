"""Expected dates are read off a calendar by hand, never computed with the module."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from medborg.processes.deadlines import (
    add_working_days,
    due_within,
    extend_by_working_days,
    is_working_day,
    resume_after_hold,
    working_days_between,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINTER = timezone(timedelta(hours=1))
SUMMER = timezone(timedelta(hours=2))
SE = {"country": "SE", "time_zone": "Europe/Stockholm"}
DK = {"country": "DK", "time_zone": "Europe/Copenhagen"}

# Weekdays that are not working days, 2026 to early 2028.
SE_CLOSED = frozenset(
    {
        date(2026, 1, 1),  # nyårsdagen
        date(2026, 1, 6),  # trettondedag jul
        date(2026, 4, 3),  # långfredagen
        date(2026, 4, 6),  # annandag påsk
        date(2026, 5, 1),  # första maj
        date(2026, 5, 14),  # Kristi himmelsfärdsdag
        date(2026, 6, 19),  # midsommarafton
        date(2026, 12, 24),  # julafton
        date(2026, 12, 25),  # juldagen
        date(2026, 12, 31),  # nyårsafton
        date(2027, 1, 1),
        date(2027, 1, 6),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 6),
        date(2027, 6, 25),
        date(2027, 12, 24),
        date(2027, 12, 31),
        date(2028, 1, 6),
    }
)
DK_CLOSED = frozenset(
    {
        date(2026, 1, 1),  # nytårsdag
        date(2026, 4, 2),  # skærtorsdag
        date(2026, 4, 3),  # langfredag
        date(2026, 4, 6),  # anden påskedag
        date(2026, 5, 14),  # Kristi himmelfartsdag
        date(2026, 5, 25),  # anden pinsedag
        date(2026, 6, 5),  # grundlovsdag
        date(2026, 12, 24),  # juleaftensdag
        date(2026, 12, 25),  # juledag
        date(2026, 12, 31),  # nytårsaftensdag
        date(2027, 1, 1),
        date(2027, 3, 25),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 6),
        date(2027, 5, 17),
        date(2027, 12, 24),
        date(2027, 12, 31),
    }
)


def se_end(year, month, day):
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=STOCKHOLM)


def dk_end(year, month, day):
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=COPENHAGEN)


def at(year, month, day, hour=10, minute=0, zone=STOCKHOLM):
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("country", "closed", "year"),
    [
        ("SE", SE_CLOSED, 2026),
        ("SE", SE_CLOSED, 2027),
        ("DK", DK_CLOSED, 2026),
        ("DK", DK_CLOSED, 2027),
    ],
)
def test_working_days_of_a_year_are_the_weekdays_off_the_calendar(
    country, closed, year
):
    day = date(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and day not in closed
        assert is_working_day(day, country) is expected, day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("country", "day", "expected"),
    [
        ("SE", date(2026, 1, 5), True),  # trettondagsafton, a half day
        ("SE", date(2026, 4, 2), True),  # skärtorsdagen, a half day
        ("SE", date(2026, 4, 30), True),  # valborgsmässoafton, a half day
        ("SE", date(2026, 5, 25), True),  # annandag pingst, no holiday since 2005
        ("SE", date(2025, 6, 6), False),  # nationaldagen on a Friday
        ("SE", date(2025, 6, 20), False),  # midsommarafton
        ("DK", date(2026, 5, 1), True),  # 1 May
        ("DK", date(2026, 1, 6), True),  # helligtrekongersdag
        ("DK", date(2023, 5, 5), False),  # store bededag, last kept
        ("DK", date(2024, 4, 26), True),  # store bededag abolished
        ("DK", date(2015, 5, 1), False),  # store bededag on 1 May
        ("DK", date(2008, 5, 1), False),  # Kristi himmelfartsdag on 1 May
        ("DK", date(2025, 6, 5), False),  # grundlovsdag on a Thursday
    ],
)
def test_is_working_day_for_eves_and_moved_holidays(country, day, expected):
    assert is_working_day(day, country) is expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (at(2026, 3, 9), 0, se_end(2026, 3, 9)),
        (at(2026, 3, 9), 1, se_end(2026, 3, 10)),
        (at(2026, 3, 9), 5, se_end(2026, 3, 16)),
        (at(2026, 3, 11), 10, se_end(2026, 3, 25)),
        (at(2026, 3, 13), 1, se_end(2026, 3, 16)),
        (at(2026, 3, 14), 1, se_end(2026, 3, 16)),
        (at(2026, 3, 15), 1, se_end(2026, 3, 16)),
        (at(2026, 3, 14), 0, se_end(2026, 3, 14)),
    ],
)
def test_add_working_days_skips_weekends(start, days, expected):
    assert add_working_days(start, days, **SE) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Easter: skärtorsdagen works, långfredagen and annandag påsk do not.
        (at(2026, 4, 1), 1, se_end(2026, 4, 2)),
        (at(2026, 4, 2), 1, se_end(2026, 4, 7)),
        (at(2026, 4, 1), 3, se_end(2026, 4, 8)),
        (at(2026, 4, 3), 1, se_end(2026, 4, 7)),
        # Kristi himmelsfärdsdag, Thursday 14 May.
        (at(2026, 5, 13), 1, se_end(2026, 5, 15)),
        (at(2026, 5, 13), 2, se_end(2026, 5, 18)),
        # Annandag pingst is a working day.
        (at(2026, 5, 22), 1, se_end(2026, 5, 25)),
        # Nationaldagen: a Friday in 2025, a Saturday in 2026.
        (at(2025, 6, 5), 1, se_end(2025, 6, 9)),
        (at(2026, 6, 5), 1, se_end(2026, 6, 8)),
        # Midsommarafton Friday 19 June, midsommardagen Saturday 20 June.
        (at(2026, 6, 18), 1, se_end(2026, 6, 22)),
        # Första maj, Friday.
        (at(2026, 4, 30), 1, se_end(2026, 5, 4)),
        # Christmas and New Year, across the year boundary.
        (at(2026, 12, 23), 1, se_end(2026, 12, 28)),
        (at(2026, 12, 23), 3, se_end(2026, 12, 30)),
        (at(2026, 12, 23), 4, se_end(2027, 1, 4)),
        (at(2026, 12, 23), 5, se_end(2027, 1, 5)),
        (at(2026, 12, 23), 6, se_end(2027, 1, 7)),
    ],
)
def test_add_working_days_skips_swedish_holidays_and_eves(start, days, expected):
    assert add_working_days(start, days, **SE) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Easter: skærtorsdag, langfredag and anden påskedag are all off.
        (at(2026, 4, 1, zone=COPENHAGEN), 1, dk_end(2026, 4, 7)),
        (at(2026, 4, 1, zone=COPENHAGEN), 2, dk_end(2026, 4, 8)),
        # Anden pinsedag, Monday 25 May.
        (at(2026, 5, 22, zone=COPENHAGEN), 1, dk_end(2026, 5, 26)),
        # Grundlovsdag, Friday 5 June.
        (at(2026, 6, 4, zone=COPENHAGEN), 1, dk_end(2026, 6, 8)),
        # 1 May is a working day.
        (at(2026, 4, 30, zone=COPENHAGEN), 1, dk_end(2026, 5, 1)),
        # Store bededag: Friday 5 May 2023; abolished before Friday 26 April 2024.
        (at(2023, 5, 4, zone=COPENHAGEN), 1, dk_end(2023, 5, 8)),
        (at(2024, 4, 25, zone=COPENHAGEN), 1, dk_end(2024, 4, 26)),
        # Christmas and New Year; helligtrekongersdag is a working day.
        (at(2026, 12, 23, zone=COPENHAGEN), 1, dk_end(2026, 12, 28)),
        (at(2026, 12, 23, zone=COPENHAGEN), 4, dk_end(2027, 1, 4)),
        (at(2026, 12, 23, zone=COPENHAGEN), 5, dk_end(2027, 1, 5)),
        (at(2026, 12, 23, zone=COPENHAGEN), 6, dk_end(2027, 1, 6)),
    ],
)
def test_add_working_days_skips_danish_holidays(start, days, expected):
    assert add_working_days(start, days, **DK) == expected


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 22, 23, 30, tzinfo=STOCKHOLM),
        datetime(2026, 11, 22, 22, 30, tzinfo=UTC),
    ],
)
def test_case_submitted_on_sunday_evening_counts_from_monday(start):
    assert add_working_days(start, 5, **SE) == datetime(
        2026, 11, 27, 23, 59, 59, 999999, tzinfo=WINTER
    )


def test_case_submitted_just_after_midnight_on_monday_counts_from_tuesday():
    # 00:30 on Monday 23 November in Stockholm is 23:30 on Sunday in UTC.
    start = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert add_working_days(start, 5, **SE) == datetime(
        2026, 11, 30, 23, 59, 59, 999999, tzinfo=WINTER
    )


@pytest.mark.parametrize(
    ("time_zone", "start_day", "days", "last_day", "offset"),
    [
        # Summer time begins on Sunday 29 March 2026.
        ("Europe/Stockholm", date(2026, 3, 26), 2, date(2026, 3, 30), SUMMER),
        ("Europe/Copenhagen", date(2026, 3, 26), 2, date(2026, 3, 30), SUMMER),
        ("Europe/Stockholm", date(2026, 3, 27), 0, date(2026, 3, 27), WINTER),
        ("Europe/Stockholm", date(2026, 3, 29), 0, date(2026, 3, 29), SUMMER),
        # Summer time ends on Sunday 25 October 2026.
        ("Europe/Stockholm", date(2026, 10, 22), 2, date(2026, 10, 26), WINTER),
        ("Europe/Copenhagen", date(2026, 10, 22), 2, date(2026, 10, 26), WINTER),
        ("Europe/Stockholm", date(2026, 10, 23), 0, date(2026, 10, 23), SUMMER),
        ("Europe/Copenhagen", date(2026, 10, 25), 0, date(2026, 10, 25), WINTER),
    ],
)
def test_period_ends_at_local_midnight_with_the_offset_of_its_last_day(
    time_zone, start_day, days, last_day, offset
):
    zone = ZoneInfo(time_zone)
    country = "SE" if time_zone == "Europe/Stockholm" else "DK"
    start = datetime.combine(start_day, time(12), tzinfo=zone)
    due = add_working_days(start, days, country=country, time_zone=time_zone)
    assert due == datetime.combine(last_day, time.max, tzinfo=offset)
    assert due.utcoffset() == offset.utcoffset(None)
    assert due.tzinfo == zone
    assert (due.date(), due.time()) == (last_day, time(23, 59, 59, 999999))


def test_summer_period_ends_at_21_59_utc():
    due = add_working_days(at(2026, 3, 26), 2, **SE)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 21, 59, 59, 999999, tzinfo=UTC)


def test_winter_period_ends_at_22_59_utc():
    due = add_working_days(at(2026, 10, 22), 2, **SE)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 22, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 3, 9), at(2026, 3, 9, 16), 0),
        (at(2026, 3, 9), at(2026, 3, 10), 1),
        (at(2026, 3, 13, 15), at(2026, 3, 14), 0),
        (at(2026, 3, 13, 15), at(2026, 3, 15), 0),
        (at(2026, 3, 13, 15), at(2026, 3, 16, 8), 1),
        (at(2026, 3, 9), at(2026, 3, 20), 9),
        (at(2026, 4, 2), at(2026, 4, 7, 9), 1),
        (at(2026, 4, 1), at(2026, 4, 8), 3),
        (at(2026, 12, 23), at(2027, 1, 7), 6),
        # The end before the start.
        (at(2026, 3, 10), at(2026, 3, 9), 0),
        (at(2026, 3, 20), at(2026, 3, 9), 0),
        # 23:30 on Sunday in UTC is Monday in Stockholm, as is the end.
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), at(2026, 11, 23, 12), 0),
        (datetime(2026, 11, 22, 22, 30, tzinfo=UTC), at(2026, 11, 23, 12), 1),
    ],
)
def test_working_days_between_in_sweden(start, end, expected):
    assert working_days_between(start, end, **SE) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 4, 1, zone=COPENHAGEN), at(2026, 4, 8, zone=COPENHAGEN), 2),
        (at(2026, 12, 23, zone=COPENHAGEN), at(2027, 1, 7, zone=COPENHAGEN), 7),
        (at(2026, 6, 4, zone=COPENHAGEN), at(2026, 6, 8, zone=COPENHAGEN), 1),
    ],
)
def test_working_days_between_in_denmark(start, end, expected):
    assert working_days_between(start, end, **DK) == expected


@pytest.mark.parametrize(
    ("due", "days", "calendar", "expected"),
    [
        (se_end(2026, 11, 27), 5, SE, se_end(2026, 12, 4)),
        (se_end(2026, 4, 1), 2, SE, se_end(2026, 4, 7)),
        (dk_end(2026, 4, 1), 2, DK, dk_end(2026, 4, 8)),
        (se_end(2026, 12, 23), 4, SE, se_end(2027, 1, 4)),
        # A due date stored in UTC: the end of Friday 27 November in Stockholm.
        (
            datetime(2026, 11, 27, 22, 59, 59, 999999, tzinfo=UTC),
            1,
            SE,
            se_end(2026, 11, 30),
        ),
    ],
)
def test_extend_by_working_days(due, days, calendar, expected):
    assert extend_by_working_days(due, days, **calendar) == expected


@pytest.mark.parametrize("days", [0, -1])
def test_extend_by_working_days_refuses_less_than_one_day(days):
    with pytest.raises(ValueError, match="at least 1 working day"):
        extend_by_working_days(se_end(2026, 3, 9), days, **SE)


def test_resume_after_hold_across_swedish_easter():
    # On hold Thursday 2 April to Tuesday 7 April: only Tuesday is given back.
    due = resume_after_hold(
        se_end(2026, 4, 10),
        held_from=at(2026, 4, 2),
        held_until=at(2026, 4, 7, 14),
        **SE,
    )
    assert due == se_end(2026, 4, 13)


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        # Thursday 2, Tuesday 7 and Wednesday 8 April given back.
        (SE, se_end(2026, 4, 15)),
        # Skærtorsdag is off in Denmark: Tuesday 7 and Wednesday 8 only.
        (DK, dk_end(2026, 4, 14)),
    ],
)
def test_resume_after_hold_from_wednesday_to_wednesday_over_easter(calendar, expected):
    zone = ZoneInfo(calendar["time_zone"])
    due = resume_after_hold(
        datetime(2026, 4, 10, 23, 59, 59, 999999, tzinfo=zone),
        held_from=at(2026, 4, 1, zone=zone),
        held_until=at(2026, 4, 8, zone=zone),
        **calendar,
    )
    assert due == expected


def test_resume_after_hold_across_new_year():
    due = resume_after_hold(
        se_end(2027, 1, 8),
        held_from=at(2026, 12, 23),
        held_until=at(2027, 1, 7),
        **SE,
    )
    # Six working days given back: 28, 29, 30 December, 4, 5, 7 January.
    assert due == se_end(2027, 1, 18)


@pytest.mark.parametrize(
    ("held_from", "held_until"),
    [
        (at(2026, 3, 9, 9), at(2026, 3, 9, 16)),
        (at(2026, 3, 9, 9), at(2026, 3, 9, 9)),
        # Put on hold on Friday, answered on Sunday.
        (at(2026, 3, 13, 15), at(2026, 3, 15, 10)),
        # Put on hold on the Thursday before Easter, answered on Easter Monday.
        (at(2026, 4, 2), at(2026, 4, 6)),
    ],
)
def test_resume_after_hold_without_working_days_keeps_the_due_date(
    held_from, held_until
):
    due = at(2026, 3, 20, 12)
    assert (
        resume_after_hold(due, held_from=held_from, held_until=held_until, **SE) is due
    )


def test_resume_after_hold_keeps_an_overdue_case_overdue_by_as_many_days():
    old_due = se_end(2026, 3, 9)
    held_from = at(2026, 3, 11)
    held_until = at(2026, 3, 13)
    new_due = resume_after_hold(
        old_due, held_from=held_from, held_until=held_until, **SE
    )
    assert new_due == se_end(2026, 3, 11)
    assert working_days_between(old_due, held_from, **SE) == 2
    assert working_days_between(new_due, held_until, **SE) == 2


def test_resume_after_hold_without_due_date_returns_none():
    assert (
        resume_after_hold(
            None, held_from=at(2026, 4, 2), held_until=at(2026, 4, 7), **SE
        )
        is None
    )


@pytest.mark.parametrize("due", [None, se_end(2026, 3, 20)])
def test_resume_after_hold_refuses_a_hold_ending_before_it_began(due):
    with pytest.raises(ValueError, match="held_until must not be before held_from"):
        resume_after_hold(
            due, held_from=at(2026, 3, 10, 9), held_until=at(2026, 3, 10, 8), **SE
        )


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        (at(2026, 3, 11, 15), 0, se_end(2026, 3, 11)),
        (at(2026, 3, 14, 15), 0, se_end(2026, 3, 14)),
        (at(2026, 3, 11, 15), 2, se_end(2026, 3, 13)),
        (at(2026, 3, 11, 15), 3, se_end(2026, 3, 16)),
        (at(2026, 4, 2, 15), 2, se_end(2026, 4, 8)),
    ],
)
def test_due_within(now, days, expected):
    assert due_within(now, days, **SE) == expected


NAIVE = datetime(2026, 3, 9, 10, 0)  # noqa: DTZ001
AWARE = at(2026, 3, 9)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: add_working_days(NAIVE, 1, **SE), "start"),
        (lambda: due_within(NAIVE, 0, **SE), "now"),
        (lambda: extend_by_working_days(NAIVE, 1, **SE), "due"),
        (lambda: working_days_between(NAIVE, AWARE, **SE), "start"),
        (lambda: working_days_between(AWARE, NAIVE, **SE), "end"),
        (
            lambda: resume_after_hold(NAIVE, held_from=AWARE, held_until=AWARE, **SE),
            "due",
        ),
        (
            lambda: resume_after_hold(AWARE, held_from=NAIVE, held_until=AWARE, **SE),
            "held_from",
        ),
        (
            lambda: resume_after_hold(None, held_from=AWARE, held_until=NAIVE, **SE),
            "held_until",
        ),
    ],
)
def test_naive_datetime_is_refused(call, name):
    with pytest.raises(ValueError, match=f"^{name} must be timezone-aware$"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_days(AWARE, -1, **SE),
        lambda: due_within(AWARE, -1, **SE),
    ],
)
def test_negative_days_are_refused(call):
    with pytest.raises(ValueError, match="days must not be negative"):
        call()


@pytest.mark.parametrize(
    ("calendar", "closed"), [(SE, SE_CLOSED), (DK, DK_CLOSED)], ids=["SE", "DK"]
)
def test_every_start_in_2026_and_2027_keeps_the_invariants(calendar, closed):
    zone = ZoneInfo(calendar["time_zone"])
    day = date(2026, 1, 1)
    while day.year < 2028:
        for moment in (time(0, 30), time(23, 30)):
            start = datetime.combine(day, moment, tzinfo=zone)
            for first, second in ((0, 1), (1, 1), (2, 3), (5, 10)):
                total = first + second
                due = add_working_days(start, total, **calendar)
                local = due.astimezone(zone)
                assert local.weekday() < 5, start
                assert local.date() not in closed, start
                assert local.date() > day, start
                assert local.time() == time.max, start
                assert due.tzinfo == zone, start
                assert working_days_between(start, due, **calendar) == total
                step = add_working_days(start, first, **calendar)
                assert add_working_days(step, second, **calendar) == due, start
        day += timedelta(days=1)
