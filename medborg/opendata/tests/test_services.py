"""The snapshots, computed from cases moved through the real case services."""

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases import services as cases
from medborg.cases.models import Case, CaseEvent
from medborg.catalog.tests.factories import ServiceFactory
from medborg.opendata import services
from medborg.opendata.models import Progress, Snapshot
from medborg.processes.tests.factories import ProcessFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STEPS = [
    ("received", "Received", 2, "", ["in-progress", "closed"]),
    ("in-progress", "In progress", 10, "", ["closed"]),
    ("closed", "Closed", None, "resolved", []),
    ("duplicate", "Duplicate", None, "duplicate", []),
]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    frozen = Clock(local(2026, 1, 5, 9, 0))
    with mock.patch("django.utils.timezone.now", new=frozen):
        yield frozen


@pytest.fixture
def world(db):
    team = TeamFactory(slug="streets")
    worker = UserFactory(username="cw", role="caseworker", teams=[team])
    service = ServiceFactory(
        code="pothole", team=team, process=ProcessFactory(steps=STEPS), reopen_days=90
    )
    return service, worker


def step(case, key):
    return case.process.steps.get(key=key)


def submit(service, **fields) -> Case:
    return cases.submit_case(service=service, answers={}, **fields).case


def close(case, worker):
    return cases.move_case_to_step(case=case, step=step(case, "closed"), by=worker)


def figure(indicator, period, scope="municipality", key=""):
    row = Snapshot.objects.get(
        indicator=indicator, period=period, scope=scope, scope_key=key
    )
    return row.value, row.count


def play_january_and_february(clock, service, worker):
    """Six cases in January: four closed in time, one late, one left open."""
    made = [submit(service) for _n in range(6)]
    clock.now = local(2026, 1, 7, 10, 0)
    for case in made[:4]:
        close(case, worker)
    cases.rate_case(case=made[0], score=5)
    cases.rate_case(case=made[1], score=2)
    cases.mark_duplicate(case=made[4], original=made[5], by=worker)
    clock.now = local(2026, 2, 20, 10, 0)
    # Ten working days from Monday 5 January end on Monday 19 January.
    close(made[5], worker)
    clock.now = local(2026, 2, 23, 10, 0)
    reopened = cases.reopen_case(
        case=Case.objects.get(pk=made[0].pk),
        step=step(made[0], "in-progress"),
        reason="Still broken.",
        by=worker,
    )
    return made, reopened


def test_a_full_recompute_counts_what_the_services_did(world, clock):
    service, worker = world
    play_january_and_february(clock, service, worker)
    clock.now = local(2026, 3, 2, 8, 0)
    services.recompute_all()
    assert figure("received", "2026-01") == (6, 6)
    assert figure("closed", "2026-01") == (5, 5)
    assert figure("within_deadline_share", "2026-01") == (100.0, 5)
    assert figure("within_deadline_share", "2026-02") == (0.0, 1)
    assert figure("backlog", "2026-01") == (1, 1)
    assert figure("backlog", "2026-02") == (1, 1)
    assert figure("reopened_share", "2026-02") == (100.0, 1)
    assert figure("satisfaction_mean", "2026-01") == (3.5, 2)
    # Monday 5 to Wednesday 7 January; the 6th is Epiphany, a holiday.
    assert figure("processing_workdays_median", "2026-01") == (1.0, 5)
    assert figure("received", "2026-Q1", "service", "pothole") == (6, 6)
    assert figure("received", "2026-Q1", "category", service.category.slug) == (6, 6)
    # The quarter's backlog is the running one, taken now.
    assert figure("backlog", "2026-Q1") == (1, 1)
    assert figure("received", "2026-03") == (0, 0)


def test_an_incremental_run_takes_in_only_new_events(world, clock):
    service, worker = world
    submit(service)
    clock.now = local(2026, 1, 6, 8, 0)
    services.update_snapshots()
    assert figure("received", "2026-01") == (1, 1)
    clock.now = local(2026, 1, 8, 8, 0)
    submit(service)
    services.update_snapshots()
    progress = Progress.objects.get()
    assert figure("received", "2026-01") == (2, 2)
    assert progress.recomputed_from == date(2026, 1, 1)
    assert progress.last_event_id == CaseEvent.objects.latest("id").pk


def test_incremental_runs_give_the_same_figures_as_a_full_recompute(world, clock):
    service, worker = world
    made = [submit(service) for _n in range(3)]
    clock.now = local(2026, 2, 2, 9, 0)
    services.update_snapshots()
    close(made[0], worker)
    clock.now = local(2026, 4, 7, 9, 0)
    services.update_snapshots()
    close(made[1], worker)
    submit(service)
    clock.now = local(2026, 4, 9, 9, 0)
    services.update_snapshots()
    incremental = _stored()
    services.recompute_all()
    assert _stored() == incremental
    assert len(incremental) > 0


def _stored() -> set:
    return set(
        Snapshot.objects.values_list(
            "indicator", "granularity", "period", "scope", "scope_key", "value", "count"
        )
    )


def test_open_cases_at_a_moment_are_read_from_the_events(world, clock):
    service, worker = world
    first, second, third = submit(service), submit(service), submit(service)
    clock.now = local(2026, 1, 20, 9, 0)
    close(first, worker)
    close(second, worker)
    clock.now = local(2026, 2, 3, 9, 0)
    cases.reopen_case(
        case=Case.objects.get(pk=second.pk),
        step=step(second, "in-progress"),
        reason="Again.",
        by=worker,
    )
    assert set(services.open_cases_at(date(2026, 2, 1))) == {third.pk}
    assert set(services.open_cases_at(date(2026, 3, 1))) == {second.pk, third.pk}
