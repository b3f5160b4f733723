"""The synthetic history: counts, the events' data contract, no personal data."""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

import pytest
from shapely.geometry import Point, shape

from medborg.cases.models import Case, CaseEvent
from medborg.catalog import demo
from medborg.catalog.models import Zone
from medborg.municipality import working_calendar
from medborg.opendata.synthetic import generate
from medborg.processes.deadlines import add_working_days

START, END, CASES, SEED = date(2024, 1, 1), date(2024, 12, 31), 300, 7
DATES = ("due", "step_due", "held_from", "held_until", "step_due_at", "due_at")
IN_FORCE = {"due", "step_due"}
CONTRACT = {
    "case.submitted": {"channel", "step", "due"},
    "case.moved": {"from", "to", "status", "outcome"} | IN_FORCE,
    "case.duplicate": {"original", "step"} | IN_FORCE,
    "case.referred": {"organisation", "step"} | IN_FORCE,
    "case.reopened": {"from", "to"},
    "case.rated": {"score"},
    "case.info_requested": {"step"},
    "case.info_received": {
        "held_from",
        "held_until",
        "working_days_on_hold",
        "step_due_at",
        "due_at",
    },
    "decision.made": {"decision", "outcome", "automated"},
    "decision.overridden": {
        "decision",
        "replaces",
        "outcome",
        "automated",
        "overrides_automated",
    },
    "decision.appealed": {"decision", "step", "automated", "reopened"},
}
NOT_PUBLIC = {"case.rated"}
# What seed 7 tells of 300 cases in 2024, on SQLite and PostgreSQL alike.
KINDS = {
    "case.submitted": 300,
    "case.moved": 680,
    "case.rated": 64,
    "case.info_requested": 20,
    "case.info_received": 20,
    "decision.made": 13,
    "case.reopened": 10,
    "case.duplicate": 9,
    "case.referred": 3,
    "decision.overridden": 1,
}


@pytest.fixture
def catalog(db):
    return demo.load()


@pytest.fixture
def history(catalog):
    return generate(cases=CASES, start=START, end=END, seed=SEED)


def _events_by_case():
    by_case = defaultdict(list)
    for event in CaseEvent.objects.order_by("id"):
        by_case[event.case_id].append(event)
    return by_case


def _closings(events) -> int:
    return sum(
        e.kind in {"case.duplicate", "case.referred"}
        or (e.kind == "case.moved" and e.data["status"] == "closed")
        for e in events
    )


def _reopenings(events) -> int:
    return sum(e.kind in {"case.reopened", "decision.appealed"} for e in events)


def test_it_writes_and_counts_the_cases_and_their_events(history):
    assert history == {"cases": CASES, "events": 1120}
    assert (Case.objects.count(), CaseEvent.objects.count()) == (CASES, 1120)


def test_a_seed_tells_the_same_story_on_any_database(history):
    kinds = Counter(CaseEvent.objects.values_list("kind", flat=True))
    assert kinds == KINDS


def test_every_case_is_submitted_once_when_it_says(history):
    submitted = CaseEvent.objects.filter(kind="case.submitted")
    assert Counter(submitted.values_list("case_id", flat=True)) == Counter(
        Case.objects.values_list("pk", flat=True)
    )
    assert all(event.at == event.case.submitted_at for event in submitted)


def test_the_legal_due_date_counts_from_the_submission(history):
    submitted = CaseEvent.objects.filter(kind="case.submitted").select_related(
        "case__service"
    )
    for event in submitted:
        case = event.case
        due = add_working_days(
            case.submitted_at, case.service.deadline_days, **working_calendar()
        )
        assert event.data["due"] == due.isoformat()


def test_a_closed_case_closed_once_more_often_than_it_was_reopened(history):
    by_case = _events_by_case()
    for case in Case.objects.all():
        events = by_case[case.pk]
        closed = case.status == "closed"
        assert _closings(events) == _reopenings(events) + closed, case.reference
        assert (case.closed_at is not None) is closed


def test_the_case_row_is_where_its_last_event_left_it(history):
    by_case = _events_by_case()
    for case in Case.objects.select_related("step"):
        moves = [e for e in by_case[case.pk] if "to" in e.data or "step" in e.data]
        last = moves[-1].data
        assert case.step.key == last.get("to", last.get("step")), case.reference
        closings = [e for e in by_case[case.pk] if _closings([e])]
        if case.closed_at:
            due = closings[-1].data["due"]
            assert case.closed_at == closings[-1].at
            assert case.due_at == (due and datetime.fromisoformat(due))


def test_events_follow_the_data_contract(history):
    kinds = Counter()
    for event in CaseEvent.objects.all():
        kinds[event.kind] += 1
        keys = set(event.data) - (
            {"decision", "automated"} if event.kind == "case.moved" else set()
        )
        assert keys == CONTRACT[event.kind], event.kind
        assert event.is_public is (event.kind not in NOT_PUBLIC)
        assert event.actor_id is None
        for name in DATES:
            if event.data.get(name) is not None:
                assert datetime.fromisoformat(event.data[name]).tzinfo is not None
    assert {"case.submitted", "case.moved", "case.rated"} <= set(kinds)


def test_a_move_by_a_decision_table_follows_the_decision(history):
    by_case = _events_by_case()
    made = CaseEvent.objects.filter(kind="decision.made")
    assert made.exists()
    for decision in made:
        after = by_case[decision.case_id]
        move = after[after.index(decision) + 1]
        assert (move.kind, move.at, move.data["status"]) == (
            "case.moved",
            decision.at,
            "closed",
        )
        assert (move.data["decision"], move.data["automated"]) == (
            decision.data["decision"],
            True,
        )


def test_events_come_in_order_and_never_after_the_period(history):
    by_case = _events_by_case()
    last = timezone.make_aware(
        datetime.combine(END + timedelta(days=1), datetime.min.time())
    )
    for events in by_case.values():
        moments = [event.at for event in events]
        assert moments == sorted(moments)
        assert moments[-1] < last


def test_no_personal_data_and_places_only_inside_the_zones(history):
    assert not Case.objects.exclude(
        contact_email="",
        description="",
        public_description="",
        address="",
        media_url="",
        sealed_token="",
        answers={},
    ).exists()
    zones = [shape(zone.geometry) for zone in Zone.objects.all()]
    placed = Case.objects.filter(latitude__isnull=False)
    for latitude, longitude in placed.values_list("latitude", "longitude"):
        assert any(z.covers(Point(longitude, latitude)) for z in zones)
    assert 0.5 < placed.count() / CASES < 0.8
    references = Case.objects.values_list("reference", flat=True)
    assert all(reference.startswith("HIS-2024-") for reference in references)


def test_sensors_open_only_task_cases(history):
    channels = Counter(Case.objects.values_list("service__kind", "channel"))
    assert {channel for (kind, channel) in channels if kind == "task"} == {"sensor"}
    assert "sensor" not in {channel for (kind, channel) in channels if kind != "task"}


def _story(cases):
    events = CaseEvent.objects.filter(case__in=cases).order_by("case_id", "id")
    return [(e.kind, e.at, e.is_public) for e in events]


def test_the_same_seed_tells_the_same_history_again(history):
    first = list(Case.objects.values_list("pk", flat=True))
    again = generate(cases=CASES, start=START, end=END, seed=SEED)
    assert again == history
    second = Case.objects.exclude(pk__in=first)
    assert _story(second) == _story(first)
    assert len(set(Case.objects.values_list("reference", flat=True))) == 2 * CASES


def test_another_seed_tells_another_history(history):
    first = list(Case.objects.values_list("pk", flat=True))
    generate(cases=CASES, start=START, end=END, seed=SEED + 1)
    assert _story(Case.objects.exclude(pk__in=first)) != _story(first)


def test_cases_of_today_have_no_event_in_the_future(catalog):
    today = timezone.localdate()
    written = generate(cases=40, start=today, end=today)
    now = timezone.now()
    assert written["cases"] == 40
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    submitted = Case.objects.values_list("submitted_at", flat=True)
    assert {timezone.localtime(moment).date() for moment in submitted} == {today}


@pytest.mark.parametrize(
    ("start", "end"),
    [(END, START), (date(2999, 1, 1), date(2999, 1, 2))],
    ids=["reversed", "future"],
)
def test_a_period_that_is_empty_or_to_come_is_refused(catalog, start, end):
    with pytest.raises(ValueError, match="Cannot write"):
        generate(cases=10, start=start, end=end)
    assert not Case.objects.exists()
