from django.utils import timezone

import pytest

from medborg.cases.lifecycle import is_open
from medborg.cases.models import Case, CaseEvent
from medborg.routing.models import Stop
from medborg.routing.services import stops
from medborg.sensors.models import BinCase
from medborg.sensors.services import emptying


def first_stop(day_plan):
    return day_plan["route"].stops.get(position=1)


@pytest.fixture
def open_case(emptying_service, day_plan):
    stop = first_stop(day_plan)
    case = emptying.open_emptying_case(bin=stop.bin, reason="threshold")
    stop.case = case
    stop.save(update_fields=["case"])
    return case


def test_emptied_stop_records_who_and_when(day_plan, driver, monkeypatch):
    monkeypatch.setattr(emptying, "close_emptying_case", lambda **kwargs: None)
    before = timezone.now()
    stop = stops.mark_stop(stop=first_stop(day_plan), status="emptied", by=driver)
    stored = Stop.objects.get(pk=stop.pk)
    assert stored.status == Stop.Status.EMPTIED
    assert stored.skip_reason == ""
    assert stored.done_by == driver
    assert before <= stored.done_at <= timezone.now()


def test_emptied_stop_closes_the_bins_case_as_the_driver(open_case, day_plan, driver):
    stop = stops.mark_stop(stop=first_stop(day_plan), status="emptied", by=driver)
    case = Case.objects.get(pk=open_case.pk)
    link = BinCase.objects.get(case=case)
    assert is_open(case.status) is False
    assert case.step.key == "emptied"
    assert link.is_open is False
    assert link.closed_by == driver
    assert stop.status == Stop.Status.EMPTIED


def test_emptied_stop_calls_close_emptying_case_with_the_bin(
    day_plan, driver, monkeypatch
):
    calls = []
    monkeypatch.setattr(
        emptying, "close_emptying_case", lambda **kwargs: calls.append(kwargs)
    )
    stop = first_stop(day_plan)
    stops.mark_stop(stop=stop, status="emptied", by=driver)
    assert calls == [{"bin": stop.bin, "by": driver, "reason": "driver"}]


def test_skipped_stop_keeps_the_case_open(open_case, day_plan, driver):
    events = CaseEvent.objects.filter(case=open_case).count()
    stop = stops.mark_stop(
        stop=first_stop(day_plan), status="skipped", skip_reason="blocked", by=driver
    )
    assert stop.status == Stop.Status.SKIPPED
    assert stop.skip_reason == "blocked"
    assert BinCase.objects.get(case=open_case).is_open is True
    assert CaseEvent.objects.filter(case=open_case).count() == events


def test_emptied_stop_without_an_open_case_is_still_marked(
    emptying_service, day_plan, driver
):
    stop = stops.mark_stop(stop=first_stop(day_plan), status="emptied", by=driver)
    assert Stop.objects.get(pk=stop.pk).status == Stop.Status.EMPTIED


@pytest.mark.parametrize("second", ["emptied", "skipped"])
def test_a_stop_is_marked_only_once(open_case, day_plan, driver, operator, second):
    stop = first_stop(day_plan)
    marked = stops.mark_stop(stop=stop, status="emptied", by=driver)
    events = CaseEvent.objects.count()
    with pytest.raises(stops.StopAlreadyMarked) as refused:
        stops.mark_stop(
            stop=stop,
            status=second,
            skip_reason="other" if second == "skipped" else "",
            by=operator,
        )
    stored = Stop.objects.get(pk=stop.pk)
    assert stored.status == Stop.Status.EMPTIED
    assert stored.done_by == driver
    assert stored.done_at == marked.done_at
    assert CaseEvent.objects.count() == events
    assert "Stop 1 was already marked" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("skipped", ""),
        ("skipped", "lost"),
        ("emptied", "blocked"),
        ("planned", ""),
        ("done", ""),
    ],
)
def test_invalid_marks_are_refused_and_change_nothing(
    day_plan, driver, monkeypatch, status, reason
):
    calls = []
    monkeypatch.setattr(
        emptying, "close_emptying_case", lambda **kwargs: calls.append(kwargs)
    )
    stop = first_stop(day_plan)
    with pytest.raises(stops.InvalidMark):
        stops.mark_stop(stop=stop, status=status, skip_reason=reason, by=driver)
    stored = Stop.objects.get(pk=stop.pk)
    assert (stored.status, stored.skip_reason, stored.done_at, stored.done_by) == (
        Stop.Status.PLANNED,
        "",
        None,
        None,
    )
    assert calls == []
