from datetime import time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case, CaseEvent, Channel
from medborg.catalog.models import Question, Service
from medborg.catalog.tests.factories import (
    ChoiceFactory,
    QuestionFactory,
    ServiceFactory,
)
from medborg.processes.tests.factories import ProcessFactory
from medborg.sensors.models import Bin, BinCase, Device, Reading, Source
from medborg.sensors.services import emptying
from medborg.sensors.tests.factories import BinFactory, DeviceFactory

EMPTYING_STEPS = [
    ("to-empty", "To be emptied", 1, "", ["emptied", "not-needed", "duplicate"]),
    ("emptied", "Emptied", None, "resolved", []),
    ("not-needed", "Not needed", None, "rejected", []),
    ("duplicate", "Already planned", None, "duplicate", []),
]
FAULT_STEPS = [
    ("detected", "Fault detected", 2, "", ["repaired", "not-a-fault"]),
    ("repaired", "Sensor working", None, "resolved", []),
    ("not-a-fault", "No fault", None, "rejected", []),
]
REPORT_STEPS = [
    ("received", "Received", 1, "", ["resolved", "duplicate"]),
    ("resolved", "Fixed", None, "resolved", []),
    ("duplicate", "Already reported", None, "duplicate", []),
]


def choice_question(service, key, values, required=True):
    question = QuestionFactory(
        service=service, key=key, kind=Question.Kind.CHOICE, required=required
    )
    for value in values:
        ChoiceFactory(question=question, value=value, label=value)


def make_service(code, steps, team, **fields):
    process = ProcessFactory(key=code, steps=steps, steps__team=team)
    return ServiceFactory(slug=code, code=code, team=team, process=process, **fields)


def make_bin_services():
    """The three services of docs/bins.md, as the demo catalog defines them."""
    collection = TeamFactory(slug="waste-collection")
    operators = TeamFactory(slug="operators")
    empty = make_service(
        "bin-emptying",
        EMPTYING_STEPS,
        collection,
        publicity=Service.Publicity.EXACT,
        max_photos=0,
    )
    QuestionFactory(service=empty, key="bin", kind=Question.Kind.TEXT)
    QuestionFactory(
        service=empty, key="fill-level", kind=Question.Kind.NUMBER, required=False
    )
    choice_question(empty, "reason", ["threshold", "forecast", "citizen", "staff"])
    fault = make_service("sensor-fault", FAULT_STEPS, operators, max_photos=0)
    QuestionFactory(service=fault, key="sensor", kind=Question.Kind.TEXT)
    choice_question(fault, "fault", ["silent", "stuck", "jump", "battery"])
    report = make_service(
        "overfull-bin", REPORT_STEPS, TeamFactory(slug="waste-and-recycling")
    )
    choice_question(report, "problem", ["overfull", "damaged", "both", "missing"])
    return {"emptying": empty, "fault": fault, "report": report}


# Every day of the week may be emptied unless a test says otherwise.
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def make_bin(code="b1", *, weekdays=EVERY_DAY, **fields):
    return BinFactory(
        code=code,
        name=f"Bin {code}",
        latitude=fields.pop("latitude", 56.8777),
        longitude=fields.pop("longitude", 14.8091),
        window_weekdays=weekdays,
        window_start=time(6),
        window_end=time(15),
        **fields,
    )


def add_readings(bin, fills, *, every=timedelta(hours=1), end=None, device=None):
    """Store readings ending at ``end`` (now), one per ``every``; return the device."""
    device = device or DeviceFactory(identifier=f"dev-{bin.code}", bin=bin)
    end = end or timezone.now()
    start = end - every * (len(fills) - 1)
    Reading.objects.bulk_create(
        Reading(
            device=device,
            bin=bin,
            measured_at=start + every * index,
            received_at=start + every * index,
            fill_percent=fill,
            source=Source.HTTP,
        )
        for index, fill in enumerate(fills)
    )
    device.last_seen_at = end
    device.save(update_fields=["last_seen_at"])
    return device


def make_lively_bin():
    """Another sensor whose level changes, so that a stuck one stands out."""
    other = make_bin("other", latitude=56.0, longitude=14.0)
    add_readings(other, [10 + h for h in range(30)])
    return other


@pytest.fixture
def bin_services(db):
    return make_bin_services()


@pytest.fixture
def lively(db):
    return make_lively_bin()


def evaluate(bin, **kwargs):
    return emptying.evaluate_bins(bin_ids=[bin.pk], **kwargs)


def open_link(bin, kind=BinCase.Kind.EMPTYING):
    return BinCase.objects.get(bin=bin, kind=kind, is_open=True)


def test_a_bin_at_its_threshold_gets_an_emptying_case(bin_services, lively):
    bin = make_bin()
    add_readings(bin, [60, 70, 80])
    [result] = evaluate(bin)
    assert result.opened == "threshold"
    link = open_link(bin)
    assert link.reason == "threshold"
    case = link.case
    assert case.service.code == "bin-emptying"
    assert case.channel == Channel.SENSOR
    assert (case.latitude, case.longitude) == (56.8777, 14.8091)
    assert case.address == "Bin b1"
    assert case.answers == {"bin": "b1", "reason": "threshold", "fill-level": 80}
    assert case.status == Status.SUBMITTED
    assert case.team.slug == "waste-collection"


def test_a_bin_forecast_to_fill_before_the_next_collection_day_gets_a_case(
    bin_services, lively
):
    # Emptied only the day after tomorrow: at least 30 hours from now.
    bin = make_bin(weekdays=[(timezone.localdate().weekday() + 2) % 7])
    # 2 points an hour from 60: 80 in 10 hours.
    add_readings(bin, [54, 56, 58, 60])
    [result] = evaluate(bin)
    assert result.opened == "forecast"
    assert open_link(bin).case.answers["reason"] == "forecast"


def test_a_bin_that_fills_after_the_next_collection_day_waits(bin_services, lively):
    bin = make_bin()
    # 0.1 points an hour from 20: 600 hours to go.
    add_readings(bin, [19.7, 19.8, 19.9, 20.0])
    [result] = evaluate(bin)
    assert result.opened == ""
    assert not BinCase.objects.exists()
    assert not Case.objects.exists()


def test_a_bin_with_a_collection_day_gets_a_case_if_it_would_fill_before_the_next(
    bin_services, lively
):
    today = timezone.localdate().weekday()
    # 0.25 points an hour from 50: 80 in 120 hours, within a week.
    on_round = make_bin("on-round", round_weekday=today)
    add_readings(on_round, [49.25, 49.5, 49.75, 50])
    # The same bin emptied any day: tomorrow comes first, so it waits.
    any_day = make_bin("any-day", latitude=56.88)
    add_readings(any_day, [49.25, 49.5, 49.75, 50])
    # Filling at half the speed, it would still be below 80 a week on.
    slow = make_bin("slow", round_weekday=today, latitude=56.89)
    add_readings(slow, [49.625, 49.75, 49.875, 50])

    results = {
        r.bin_id: r.opened
        for r in emptying.evaluate_bins(bin_ids=[on_round.pk, any_day.pk, slow.pk])
    }

    assert results == {on_round.pk: "forecast", any_day.pk: "", slow.pk: ""}


def test_evaluating_again_never_opens_a_second_case(bin_services, lively):
    bin = make_bin()
    add_readings(bin, [85, 90])
    evaluate(bin)
    evaluate(bin)
    assert BinCase.objects.filter(bin=bin).count() == 1
    assert Case.objects.filter(service__code="bin-emptying").count() == 1


def test_open_emptying_case_returns_the_open_case(bin_services):
    bin = make_bin()
    first = emptying.open_emptying_case(bin=bin, reason="staff")
    events = CaseEvent.objects.count()
    again = emptying.open_emptying_case(bin=bin, reason="threshold")
    assert again == first
    assert CaseEvent.objects.count() == events
    assert BinCase.objects.get().reason == "staff"


def test_the_database_refuses_a_second_open_case_of_a_kind(bin_services):
    bin = make_bin()
    case = emptying.open_emptying_case(bin=bin, reason="staff")
    with pytest.raises(IntegrityError), transaction.atomic():
        BinCase.objects.create(
            bin=bin,
            case=Case.objects.create(
                **{
                    f.name: getattr(case, f.name)
                    for f in Case._meta.concrete_fields
                    if f.name not in {"id", "reference", "token_hash"}
                },
                reference="X-1",
                token_hash="x",
            ),
            kind=BinCase.Kind.EMPTYING,
            opened_at=timezone.now(),
            reason="staff",
        )
    assert BinCase.objects.count() == 1


def test_a_reading_that_shows_the_bin_emptied_closes_its_case(bin_services, lively):
    bin = make_bin()
    device = add_readings(bin, [85, 90])
    evaluate(bin)
    case = open_link(bin).case
    add_readings(bin, [2, 3], end=timezone.now() + timedelta(minutes=10), device=device)
    [result] = evaluate(bin, now=timezone.now() + timedelta(minutes=10))
    assert result.closed == "emptied_reading"
    link = BinCase.objects.get(case=case)
    assert link.is_open is False
    assert link.closed_at is not None
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.step.key == "emptied"
    moved = case.events.get(kind=CaseEvent.Kind.MOVED)
    assert moved.is_public
    assert moved.message == "The bin's sensor shows that it has been emptied."


def test_the_driver_closes_the_case(bin_services):
    bin = make_bin()
    driver = UserFactory(username="driver", role="driver")
    opened = emptying.open_emptying_case(bin=bin, reason="threshold")
    closed = emptying.close_emptying_case(bin=bin, by=driver, reason="driver")
    assert closed.pk == opened.pk
    assert closed.status == Status.CLOSED
    assert closed.step.key == "emptied"
    link = BinCase.objects.get()
    assert (link.is_open, link.closed_by) == (False, driver)
    moved = closed.events.get(kind=CaseEvent.Kind.MOVED)
    assert moved.actor == driver
    assert moved.message == "The bin was emptied by the collection crew."


def test_closing_without_an_open_case_does_nothing(bin_services):
    bin = make_bin()
    assert emptying.close_emptying_case(bin=bin, reason="driver") is None
    assert not CaseEvent.objects.exists()


def test_closing_for_an_unknown_reason_is_refused(bin_services):
    bin = make_bin()
    emptying.open_emptying_case(bin=bin, reason="threshold")
    events = CaseEvent.objects.count()
    with pytest.raises(ValueError, match="whim"):
        emptying.close_emptying_case(bin=bin, reason="whim")
    assert CaseEvent.objects.count() == events
    assert BinCase.objects.get().is_open is True


def test_a_new_case_opens_after_the_last_one_closed(bin_services, lively):
    bin = make_bin()
    device = add_readings(bin, [85, 90], end=timezone.now() - timedelta(hours=2))
    evaluate(bin, now=timezone.now() - timedelta(hours=2))
    emptying.close_emptying_case(bin=bin, reason="driver")
    add_readings(bin, [95], device=device)
    [result] = evaluate(bin)
    assert result.opened == "threshold"
    assert BinCase.objects.filter(bin=bin).count() == 2
    assert BinCase.objects.filter(bin=bin, is_open=True).count() == 1


def test_a_silent_sensor_gets_a_fault_case_and_opens_no_emptying(
    bin_services, lively, settings
):
    settings.SENSOR_SILENCE_HOURS = 24
    bin = make_bin()
    device = add_readings(bin, [88, 90], end=timezone.now() - timedelta(hours=25))
    [result] = evaluate(bin)
    assert result.faults == {device.identifier: "silent"}
    assert result.opened == ""
    device.refresh_from_db()
    assert device.fault == "silent"
    assert device.fault_since is not None
    link = open_link(bin, BinCase.Kind.FAULT)
    assert link.reason == "silent"
    assert link.case.service.code == "sensor-fault"
    assert link.case.team.slug == "operators"
    assert link.case.answers == {"sensor": device.identifier, "fault": "silent"}
    assert not BinCase.objects.filter(kind=BinCase.Kind.EMPTYING).exists()


def test_a_fault_case_is_opened_once_and_closed_when_the_sensor_behaves(
    bin_services, lively, settings
):
    settings.SENSOR_SILENCE_HOURS = 24
    bin = make_bin()
    device = add_readings(bin, [20, 21], end=timezone.now() - timedelta(hours=30))
    evaluate(bin)
    evaluate(bin)
    assert BinCase.objects.filter(kind=BinCase.Kind.FAULT).count() == 1
    add_readings(bin, [22, 23], device=device)
    [result] = evaluate(bin)
    assert result.faults == {}
    device.refresh_from_db()
    assert (device.fault, device.fault_since) == ("", None)
    link = BinCase.objects.get(kind=BinCase.Kind.FAULT)
    assert link.is_open is False
    assert link.case.status == Status.CLOSED
    assert link.case.step.key == "repaired"


def test_a_stuck_sensor_gets_a_fault_case(bin_services, lively):
    bin = make_bin()
    device = add_readings(bin, [10, 20] + [42] * 25)
    [result] = evaluate(bin)
    assert result.faults == {device.identifier: "stuck"}
    assert open_link(bin, BinCase.Kind.FAULT).reason == "stuck"


def test_an_inactive_bin_is_not_evaluated(bin_services, lively):
    bin = make_bin(active=False)
    add_readings(bin, [90, 95])
    assert evaluate(bin) == []
    assert not BinCase.objects.exists()


def test_a_case_closed_by_staff_lets_the_bin_get_a_new_one(bin_services, lively):
    bin = make_bin()
    add_readings(bin, [90, 95])
    evaluate(bin)
    first = open_link(bin).case
    Case.objects.filter(pk=first.pk).update(status=Status.CLOSED)
    evaluate(bin)
    link = open_link(bin)
    assert link.case != first
    assert BinCase.objects.get(case=first).is_open is False


def test_the_demo_opens_four_emptying_cases_and_one_fault_case(db):
    from medborg.catalog import demo as catalog_demo
    from medborg.sensors import demo

    made = catalog_demo.load()
    loaded = demo.load(services=made["services"], users=made["users"], fleet=None)
    assert (loaded["bins"], loaded["cases"]) == (60, 5)
    assert Bin.objects.count() == 60
    assert Device.objects.count() == 60
    assert Reading.objects.count() == loaded["readings"]
    assert sorted(
        BinCase.objects.filter(is_open=True).values_list("kind", "reason")
    ) == [("emptying", "threshold")] * 4 + [("fault", "silent")]


def test_bins_to_collect_lists_open_cases_and_optional_forecasts(bin_services):
    from medborg.sensors import selectors

    with_case = make_bin("a-case")
    case = emptying.open_emptying_case(bin=with_case, reason="staff")
    filling = make_bin("b-filling")
    add_readings(filling, [64, 66, 68, 70])
    add_readings(make_bin("c-slow"), [19.7, 19.8, 19.9, 20.0])
    retired = make_bin("d-retired", active=False)
    emptying.open_emptying_case(bin=retired, reason="staff")
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert selectors.bins_to_collect(date=tomorrow) == [
        selectors.ToCollect(with_case, case, selectors.Need.DUE),
        selectors.ToCollect(filling, None, selectors.Need.SOON),
    ]
    assert selectors.bins_needing_emptying(date=tomorrow) == [with_case, filling]


def _case_opened(bin, at):
    case = emptying.open_emptying_case(bin=bin, reason="threshold")
    BinCase.objects.filter(case=case).update(opened_at=at)
    return case


def test_a_case_waits_for_its_collection_day_unless_the_bin_would_overflow(
    bin_services,
):
    from medborg.sensors import selectors

    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    other_day = (tomorrow.weekday() + 3) % 7
    now = timezone.now()
    # Due tomorrow: its collection day.
    due = make_bin("a-due", round_weekday=tomorrow.weekday())
    due_case = _case_opened(due, now)
    add_readings(due, [80, 81, 82])
    # Another day's bin at 82 %, one point an hour: full in 18 hours, before
    # tomorrow's window opens: worth a detour.
    overflowing = make_bin("b-overflowing", round_weekday=other_day)
    overflowing_case = _case_opened(overflowing, now)
    add_readings(overflowing, [80, 81, 82])
    # Another day's bin that fills slowly: waits for its day.
    waiting = make_bin("c-waiting", round_weekday=other_day)
    _case_opened(waiting, now)
    add_readings(waiting, [81, 81.1, 81.2])
    # Another day's bin whose case was open before its last collection day
    # ended: it missed that day, so it is due now.
    missed_day = (tomorrow.weekday() - 1) % 7
    missed = make_bin("d-missed", round_weekday=missed_day)
    missed_case = _case_opened(missed, now - timedelta(days=8))
    # A citizen's report is due at once, whatever the day.
    asked = make_bin("e-asked", round_weekday=other_day)
    asked_case = emptying.open_emptying_case(bin=asked, reason="citizen")
    # No case, another day's bin about to cross 80 %: not today's business.
    add_readings(make_bin("f-filling", round_weekday=other_day), [76, 77, 78, 79])

    found = selectors.bins_to_collect(date=tomorrow)

    Need, ToCollect = selectors.Need, selectors.ToCollect
    assert found == [
        ToCollect(due, due_case, Need.DUE),
        ToCollect(overflowing, overflowing_case, Need.OVERFLOW),
        ToCollect(missed, missed_case, Need.DUE),
        ToCollect(asked, asked_case, Need.DUE),
    ]
    assert [item.optional for item in found] == [False, True, False, False]


def test_bin_status_gives_the_latest_fill_and_crossing(bin_services):
    from medborg.sensors import selectors

    bin = make_bin()
    now = timezone.now()
    add_readings(bin, [70, 72, 74], end=now)
    status = selectors.bin_status(bin, now=now)
    assert status.fill_percent == 74
    assert status.crosses_at == timezone.localtime(now) + timedelta(hours=3)
    assert status.emptying_case is None
