"""Staff and citizen services on a case: moves, holds, deadlines, merges, reopening.

Times are frozen in Europe/Stockholm around Easter 2026, when Good Friday
(3 April) and Easter Monday (6 April) are Swedish public holidays, so every
expected due date below is counted by hand in working days.
"""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.exceptions import PermissionDenied

import pytest
from django_tasks_db.models import DBTaskResult

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases import selectors, services
from medborg.cases.lifecycle import InvalidMove, Status
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.common import utc_iso
from medborg.catalog.tests.factories import ServiceFactory
from medborg.processes.tests.factories import ProcessFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LATITUDE, LONGITUDE = 56.8777, 14.8091

# (key, name, expected working days, outcome, next step keys)
RECEIVED = ("received", "Received", 2, "", ["in-progress", "closed"])
IN_PROGRESS = ("in-progress", "In progress", 10, "", ["received", "closed"])
CLOSED = ("closed", "Closed", None, "resolved", [])
DUPLICATE = ("duplicate", "Duplicate", None, "duplicate", [])
REFERRED = ("referred", "Referred", None, "referred", [])


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def end_of(year, month, day) -> datetime:
    """The end of a working day, where every due date falls."""
    return datetime(year, month, day, 23, 59, 59, 999_999, tzinfo=STOCKHOLM)


class Clock:
    """Stands in for ``timezone.now``; every module calls it through the module."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    """Frozen at Monday 30 March 2026, 09:00 in Stockholm; set ``now`` to move."""
    frozen = Clock(local(2026, 3, 30, 9, 0))
    with mock.patch("django.utils.timezone.now", new=frozen):
        yield frozen


@pytest.fixture
def teamlead(team):
    return UserFactory(username="lead", role="teamlead", teams=[team])


@pytest.fixture
def roads():
    return TeamFactory(slug="roads", name="Roads")


def submit(service, **kwargs) -> Case:
    fields = {"latitude": LATITUDE, "longitude": LONGITUDE, **kwargs}
    return services.submit_case(
        service=service, answers={"size": "small"}, **fields
    ).case


def service_with(team, *steps):
    return ServiceFactory(team=team, process=ProcessFactory(steps=list(steps)))


def step(case, key):
    return case.process.steps.get(key=key)


def snapshot(case) -> dict:
    """Everything a refused action must leave as it was."""
    fresh = Case.objects.get(pk=case.pk)
    return {
        "step": fresh.step_id,
        "status": fresh.status,
        "version": fresh.version,
        "team": fresh.team_id,
        "assignee": fresh.assignee_id,
        "step_due_at": fresh.step_due_at,
        "due_at": fresh.due_at,
        "next_due_at": fresh.next_due_at,
        "on_hold_since": fresh.on_hold_since,
        "closed_at": fresh.closed_at,
        "duplicate_of": fresh.duplicate_of_id,
        "mail_due_at": fresh.mail_due_at,
        "events": CaseEvent.objects.count(),
        "tasks": DBTaskResult.objects.count(),
        "mails": len(mail.outbox),
    }


# move_case_to_step -------------------------------------------------------------------


def test_allowed_move_writes_a_public_event_and_sets_the_step_due_date(
    service, caseworker, clock
):
    case = submit(service)
    clock.now = local(2026, 4, 1, 10, 0)
    moved = services.move_case_to_step(
        case=case,
        step=step(case, "in-progress"),
        public_message="We are on it.",
        by=caseworker,
    )
    # Ten working days after Wednesday 1 April, skipping Good Friday and
    # Easter Monday: Thu 2, Tue 7 … Fri 17 April.
    assert moved.step.key == "in-progress"
    assert moved.status == Status.IN_PROGRESS
    assert moved.step_entered_at == local(2026, 4, 1, 10, 0)
    assert moved.step_due_at == end_of(2026, 4, 17)
    # Submitted Monday 30 March: ten working days end on Wednesday 15 April.
    assert moved.due_at == end_of(2026, 4, 15)
    assert moved.next_due_at == end_of(2026, 4, 15)
    assert moved.version == 2
    event = moved.events.last()
    assert (event.kind, event.is_public, event.message, event.actor, event.at) == (
        "case.moved",
        True,
        "We are on it.",
        caseworker,
        local(2026, 4, 1, 10, 0),
    )
    assert event.data == {
        "from": "received",
        "to": "in-progress",
        "status": "in_progress",
        "outcome": "",
        "resumed": None,
        # The deadlines in force when the case left the first step.
        "due": utc_iso(end_of(2026, 4, 15)),
        "step_due": utc_iso(case.step_due_at),
    }


def test_move_the_process_does_not_list_is_refused_and_changes_nothing(
    team, caseworker, clock
):
    service = service_with(
        team,
        ("received", "Received", 2, "", ["check"]),
        ("check", "Check", 5, "", ["fixed"]),
        ("fixed", "Fixed", None, "resolved", []),
    )
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(services.StepNotAllowed, match="may not move from received"):
        services.move_case_to_step(case=case, step=step(case, "fixed"), by=caseworker)
    assert snapshot(case) == before


def test_outcome_step_closes_the_case(service, caseworker, clock):
    case = submit(service)
    clock.now = local(2026, 3, 31, 14, 0)
    closed = services.move_case_to_step(
        case=case, step=step(case, "closed"), by=caseworker
    )
    assert closed.status == Status.CLOSED
    assert closed.closed_at == local(2026, 3, 31, 14, 0)
    assert closed.step_due_at is None
    assert closed.next_due_at is None
    assert closed.events.last().data["outcome"] == "resolved"


def test_stale_expected_state_is_refused_and_changes_nothing(
    service, caseworker, clock
):
    case = submit(service)
    seen = services.state_of(case)
    services.move_case_to_step(case=case, step=step(case, "in-progress"), by=caseworker)
    before = snapshot(case)
    with pytest.raises(services.StaleCase) as refused:
        services.move_case_to_step(
            case=case, step=step(case, "closed"), by=caseworker, expected_state=seen
        )
    in_progress = step(case, "in-progress")
    assert (refused.value.seen, refused.value.current) == (
        f"{case.step_id}:submitted",
        f"{in_progress.pk}:in_progress",
    )
    assert snapshot(case) == before


def test_move_hands_the_case_to_the_steps_team_and_drops_an_outside_assignee(
    service, caseworker, roads, clock
):
    service.process.steps.filter(key="in-progress").update(team=roads)
    case = submit(service)
    services.assign_case(case=case, assignee=caseworker, by=caseworker)
    moved = services.move_case_to_step(
        case=case, step=step(case, "in-progress"), by=caseworker
    )
    assert moved.team == roads
    assert moved.assignee is None


def test_move_keeps_an_assignee_who_is_in_the_steps_team(
    service, caseworker, roads, clock
):
    service.process.steps.filter(key="in-progress").update(team=roads)
    roads.members.add(caseworker)
    case = submit(service)
    services.assign_case(case=case, assignee=caseworker, by=caseworker)
    moved = services.move_case_to_step(
        case=case, step=step(case, "in-progress"), by=caseworker
    )
    assert moved.team == roads
    assert moved.assignee == caseworker


# request_information and answer_information ------------------------------------------


def test_asking_the_citizen_stops_the_clock(service, caseworker, clock):
    case = submit(service)
    clock.now = local(2026, 4, 2, 10, 0)
    waiting = services.request_information(
        case=case, question="Which side of the street?", by=caseworker
    )
    assert waiting.status == Status.WAITING_FOR_CITIZEN
    assert waiting.on_hold_since == local(2026, 4, 2, 10, 0)
    assert waiting.next_due_at is None
    assert waiting.step_due_at == end_of(2026, 4, 1)
    assert waiting.due_at == end_of(2026, 4, 15)
    event = waiting.events.last()
    assert (event.kind, event.is_public, event.message, event.data) == (
        "case.info_requested",
        True,
        "Which side of the street?",
        {"step": "received"},
    )


def asked_over_easter(service, caseworker, clock) -> Case:
    """A case sent Wednesday 1 April, asked about on Maundy Thursday."""
    clock.now = local(2026, 4, 1, 9, 0)
    case = submit(service)
    # Two working days: Thu 2 and Tue 7 April; ten: Thu 2, Tue 7 … Fri 17 April.
    assert (case.step_due_at, case.due_at) == (end_of(2026, 4, 7), end_of(2026, 4, 17))
    clock.now = local(2026, 4, 2, 10, 0)
    return services.request_information(
        case=case, question="Which side of the street?", by=caseworker
    )


def test_answer_moves_the_due_dates_by_the_working_days_on_hold(
    service, caseworker, clock
):
    case = asked_over_easter(service, caseworker, clock)
    clock.now = local(2026, 4, 7, 9, 0)
    answered = services.answer_information(case=case, text="The north side.")
    # On hold Thursday 2 to Tuesday 7 April: Good Friday and Easter Monday are
    # holidays, so only Tuesday 7 is given back.
    assert answered.status == Status.IN_PROGRESS
    assert answered.on_hold_since is None
    assert answered.step_due_at == end_of(2026, 4, 8)
    assert answered.due_at == end_of(2026, 4, 20)
    assert answered.next_due_at == end_of(2026, 4, 8)


def test_answer_event_records_the_hold_and_the_new_due_dates(
    service, caseworker, clock
):
    case = asked_over_easter(service, caseworker, clock)
    clock.now = local(2026, 4, 7, 9, 0)
    services.answer_information(case=case, text="The north side.")
    event = case.events.last()
    assert (event.kind, event.is_public, event.message, event.actor) == (
        "case.info_received",
        True,
        "The north side.",
        None,
    )
    data = dict(event.data)
    assert datetime.fromisoformat(data.pop("held_from")) == local(2026, 4, 2, 10, 0)
    assert datetime.fromisoformat(data.pop("held_until")) == local(2026, 4, 7, 9, 0)
    assert data == {
        "working_days_on_hold": 1,
        "step_due_at": "2026-04-08T23:59:59.999999+02:00",
        "due_at": "2026-04-20T23:59:59.999999+02:00",
    }


@pytest.mark.parametrize(
    ("assigned", "address"),
    [(True, "cw@example.se"), (False, "streets@example.se")],
    ids=["assignee", "team"],
)
def test_answer_notifies_the_holder_from_a_task(
    service,
    caseworker,
    clock,
    settings,
    django_capture_on_commit_callbacks,
    run_tasks,
    assigned,
    address,
):
    service.team.email = "streets@example.se"
    service.team.save()
    case = asked_over_easter(service, caseworker, clock)
    if assigned:
        services.assign_case(case=case, assignee=caseworker, by=caseworker)
    clock.now = local(2026, 4, 7, 9, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_information(case=case, text="The north side.")
    assert mail.outbox == []
    task = DBTaskResult.objects.get()
    assert task.task_path == "medborg.cases.tasks.notify_holder"
    assert task.args_kwargs == {
        "args": [case.pk, case.events.last().pk],
        "kwargs": {},
    }
    assert run_tasks() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [address]
    assert case.reference in message.subject
    assert f"{settings.BASE_URL}/staff/cases/{case.reference}/\n" in message.body
    assert "The north side." not in message.body


def test_second_answer_is_refused_and_changes_nothing(service, caseworker, clock):
    case = asked_over_easter(service, caseworker, clock)
    clock.now = local(2026, 4, 7, 9, 0)
    services.answer_information(case=case, text="The north side.")
    before = snapshot(case)
    clock.now = local(2026, 4, 8, 9, 0)
    with pytest.raises(InvalidMove):
        services.answer_information(case=case, text="Also the south side.")
    assert snapshot(case) == before


def test_asking_twice_is_refused_and_changes_nothing(service, caseworker, clock):
    case = asked_over_easter(service, caseworker, clock)
    before = snapshot(case)
    with pytest.raises(InvalidMove):
        services.request_information(case=case, question="And?", by=caseworker)
    assert snapshot(case) == before


def test_staff_moving_a_waiting_case_on_restart_the_clock(service, caseworker, clock):
    case = asked_over_easter(service, caseworker, clock)
    clock.now = local(2026, 4, 7, 9, 0)
    moved = services.move_case_to_step(
        case=case, step=step(case, "in-progress"), by=caseworker
    )
    assert moved.status == Status.IN_PROGRESS
    assert moved.on_hold_since is None
    # The new step counts from now: ten working days after Tuesday 7 April.
    assert moved.step_due_at == end_of(2026, 4, 21)
    # The case's due date gets back the one working day on hold.
    assert moved.due_at == end_of(2026, 4, 20)
    assert moved.next_due_at == end_of(2026, 4, 20)
    resumed = moved.events.last().data["resumed"]
    assert resumed["working_days_on_hold"] == 1
    assert resumed["due_at"] == "2026-04-20T23:59:59.999999+02:00"


# extend_deadline ---------------------------------------------------------------------


def test_extending_needs_the_team_lead_permission(service, caseworker, clock):
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.extend_deadline(
            case=case, target="case", days=3, reason="Waiting for parts.", by=caseworker
        )
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("target", "field", "old", "new"),
    [
        # Wednesday 1 April + 3: Thu 2, Tue 7, Wed 8 (Easter in between).
        ("step", "step_due_at", end_of(2026, 4, 1), end_of(2026, 4, 8)),
        # Wednesday 15 April + 3: Thu 16, Fri 17, Mon 20.
        ("case", "due_at", end_of(2026, 4, 15), end_of(2026, 4, 20)),
    ],
)
def test_extension_adds_working_days_and_tells_the_citizen(
    service, teamlead, clock, target, field, old, new
):
    case = submit(service)
    assert getattr(case, field) == old
    clock.now = local(2026, 3, 31, 11, 0)
    extended = services.extend_deadline(
        case=case, target=target, days=3, reason="Waiting for parts.", by=teamlead
    )
    assert getattr(extended, field) == new
    event = extended.events.last()
    assert (event.kind, event.is_public, event.message, event.actor) == (
        "case.extended",
        True,
        "Waiting for parts.",
        teamlead,
    )
    data = dict(event.data)
    assert datetime.fromisoformat(data.pop("from")) == old
    assert datetime.fromisoformat(data.pop("to")) == new
    assert data == {"target": target, "days": 3}


def test_extending_a_closed_case_is_refused(service, caseworker, teamlead, clock):
    case = submit(service)
    services.move_case_to_step(case=case, step=step(case, "closed"), by=caseworker)
    before = snapshot(case)
    with pytest.raises(ValueError, match="no case deadline"):
        services.extend_deadline(
            case=case, target="case", days=3, reason="Late.", by=teamlead
        )
    assert snapshot(case) == before


def test_extending_a_step_without_a_due_date_is_refused(team, teamlead, clock):
    service = service_with(team, ("received", "Received", None, "", ["closed"]), CLOSED)
    case = submit(service)
    assert case.step_due_at is None
    before = snapshot(case)
    with pytest.raises(ValueError, match="no step deadline"):
        services.extend_deadline(
            case=case, target="step", days=3, reason="Late.", by=teamlead
        )
    assert snapshot(case) == before


# assign_case -------------------------------------------------------------------------


def test_caseworker_takes_a_case(service, caseworker, clock):
    case = submit(service)
    assigned = services.assign_case(case=case, assignee=caseworker, by=caseworker)
    assert assigned.assignee == caseworker
    event = assigned.events.last()
    assert (event.kind, event.is_public, event.actor, event.data) == (
        "case.assigned",
        False,
        caseworker,
        {"assignee": "cw"},
    )


def test_caseworker_may_not_assign_a_colleague(service, team, caseworker, clock):
    colleague = UserFactory(username="colleague", role="caseworker", teams=[team])
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.assign_case(case=case, assignee=colleague, by=caseworker)
    assert snapshot(case) == before


def test_team_lead_assigns_a_colleague(service, caseworker, teamlead, clock):
    case = submit(service)
    assigned = services.assign_case(case=case, assignee=caseworker, by=teamlead)
    assert assigned.assignee == caseworker
    assert assigned.events.last().actor == teamlead


@pytest.mark.parametrize("by_self", [True, False], ids=["self", "by-lead"])
def test_assignee_outside_the_holding_team_is_refused(
    service, teamlead, roads, clock, by_self
):
    outsider = UserFactory(username="outsider", role="teamlead", teams=[roads])
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(ValueError, match="not in the team"):
        services.assign_case(
            case=case, assignee=outsider, by=outsider if by_self else teamlead
        )
    assert snapshot(case) == before


# mark_duplicate ----------------------------------------------------------------------


def test_duplicate_closes_in_the_duplicate_step(team, caseworker, clock):
    service = service_with(team, RECEIVED, IN_PROGRESS, CLOSED, DUPLICATE)
    original, case = submit(service), submit(service)
    clock.now = local(2026, 3, 31, 8, 0)
    merged = services.mark_duplicate(case=case, original=original, by=caseworker)
    assert merged.step.key == "duplicate"
    assert merged.status == Status.CLOSED
    assert merged.closed_at == local(2026, 3, 31, 8, 0)
    assert merged.duplicate_of == original
    assert (merged.step_due_at, merged.next_due_at) == (None, None)


def test_duplicate_without_a_duplicate_step_closes_in_place(service, caseworker, clock):
    original, case = submit(service), submit(service)
    clock.now = local(2026, 3, 31, 8, 0)
    merged = services.mark_duplicate(case=case, original=original, by=caseworker)
    assert merged.step.key == "received"
    assert merged.status == Status.CLOSED
    assert merged.closed_at == local(2026, 3, 31, 8, 0)
    assert merged.duplicate_of == original
    assert (merged.step_due_at, merged.next_due_at) == (None, None)


def test_duplicate_writes_a_public_event_and_the_original_an_internal_one(
    service, caseworker, clock
):
    original, case = submit(service), submit(service)
    services.mark_duplicate(
        case=case, original=original, public_message="Already reported.", by=caseworker
    )
    duplicate_event = case.events.last()
    assert (
        duplicate_event.kind,
        duplicate_event.is_public,
        duplicate_event.message,
        duplicate_event.data,
    ) == (
        "case.duplicate",
        True,
        "Already reported.",
        {
            "original": original.reference,
            "step": "received",
            "due": utc_iso(case.due_at),
            "step_due": utc_iso(case.step_due_at),
        },
    )
    merged_event = original.events.last()
    assert (merged_event.kind, merged_event.is_public, merged_event.data) == (
        "case.merged",
        False,
        {"duplicate": case.reference},
    )
    original.refresh_from_db()
    assert (original.status, original.version) == (Status.SUBMITTED, 1)


def test_duplicate_of_a_duplicate_points_to_the_first_case(service, caseworker, clock):
    first, second, third = submit(service), submit(service), submit(service)
    second = services.mark_duplicate(case=second, original=first, by=caseworker)
    merged = services.mark_duplicate(case=third, original=second, by=caseworker)
    assert merged.duplicate_of == first
    assert merged.events.last().data["original"] == first.reference


def test_case_cannot_be_its_own_duplicate(service, caseworker, clock):
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(ValueError, match="itself"):
        services.mark_duplicate(case=case, original=case, by=caseworker)
    assert snapshot(case) == before


def test_duplicate_of_a_closed_case_is_refused(service, caseworker, clock):
    original, case = submit(service), submit(service)
    services.move_case_to_step(
        case=original, step=step(original, "closed"), by=caseworker
    )
    before = snapshot(case)
    with pytest.raises(ValueError, match="must both be open"):
        services.mark_duplicate(case=case, original=original, by=caseworker)
    assert snapshot(case) == before


# refer_case --------------------------------------------------------------------------


def test_referral_to_a_team_keeps_the_case_open(service, caseworker, roads, clock):
    case = submit(service)
    referred = services.refer_case(
        case=case, team=roads, public_message="Roads handle this.", by=caseworker
    )
    assert referred.team == roads
    assert (referred.status, referred.closed_at) == (Status.SUBMITTED, None)
    assert referred.next_due_at == end_of(2026, 4, 1)
    event = referred.events.last()
    assert (event.kind, event.is_public, event.message, event.data) == (
        "case.referred",
        True,
        "Roads handle this.",
        {"team": "roads", "team_name": "Roads", "step": "received"},
    )


def test_referral_out_of_the_municipality_closes_in_the_referred_step(
    team, caseworker, clock
):
    service = service_with(team, RECEIVED, IN_PROGRESS, CLOSED, REFERRED)
    case = submit(service)
    clock.now = local(2026, 3, 31, 8, 0)
    referred = services.refer_case(
        case=case,
        organisation="Trafikverket",
        public_message="A state road.",
        by=caseworker,
    )
    assert referred.step.key == "referred"
    assert (referred.status, referred.closed_at) == (
        Status.CLOSED,
        local(2026, 3, 31, 8, 0),
    )
    assert (referred.step_due_at, referred.next_due_at) == (None, None)
    assert referred.events.last().data == {
        "organisation": "Trafikverket",
        "step": "referred",
        "due": utc_iso(end_of(2026, 4, 15)),
        "step_due": utc_iso(case.step_due_at),
    }


def test_referral_out_without_a_referred_step_closes_in_place(
    service, caseworker, clock
):
    case = submit(service)
    referred = services.refer_case(
        case=case,
        organisation="Trafikverket",
        public_message="A state road.",
        by=caseworker,
    )
    assert (referred.step.key, referred.status) == ("received", Status.CLOSED)
    assert (referred.step_due_at, referred.next_due_at) == (None, None)


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_referral_needs_exactly_one_target(service, caseworker, roads, clock, both):
    case = submit(service)
    before = snapshot(case)
    targets = {"team": roads, "organisation": "Trafikverket"} if both else {}
    with pytest.raises(ValueError, match="either a team or an organisation"):
        services.refer_case(
            case=case, public_message="Elsewhere.", by=caseworker, **targets
        )
    assert snapshot(case) == before


# reopen_case -------------------------------------------------------------------------


def closed_case(service, caseworker, clock) -> Case:
    case = submit(service)
    clock.now = local(2026, 3, 31, 8, 0)
    return services.move_case_to_step(
        case=case, step=step(case, "closed"), by=caseworker
    )


@pytest.mark.parametrize(
    ("after", "due"),
    [
        # Friday 10 April: ten working days are Mon 13 … Fri 24 April.
        (timedelta(days=10), end_of(2026, 4, 24)),
        # Thursday 30 April, the last day allowed: 1 May and Ascension Day
        # (14 May) are holidays, so ten working days end on Monday 18 May.
        (timedelta(days=30), end_of(2026, 5, 18)),
    ],
    ids=["10-days", "last-day"],
)
def test_reopening_within_the_period_starts_the_due_dates_again(
    service, caseworker, clock, after, due
):
    case = closed_case(service, caseworker, clock)
    clock.now = local(2026, 3, 31, 8, 0) + after
    reopened = services.reopen_case(
        case=case,
        step=step(case, "in-progress"),
        reason="The hole is back.",
        by=caseworker,
    )
    assert reopened.status == Status.REOPENED
    assert reopened.closed_at is None
    assert reopened.step.key == "in-progress"
    assert reopened.step_entered_at == clock.now
    assert (reopened.step_due_at, reopened.due_at) == (due, due)
    assert reopened.next_due_at == due
    event = reopened.events.last()
    assert (event.kind, event.is_public, event.message, event.data) == (
        "case.reopened",
        True,
        "The hole is back.",
        {"from": "closed", "to": "in-progress"},
    )


def test_reopened_step_and_case_count_from_the_reopening(service, caseworker, clock):
    case = closed_case(service, caseworker, clock)
    clock.now = local(2026, 4, 17, 15, 0)
    reopened = services.reopen_case(
        case=case, step=step(case, "received"), reason="Back.", by=caseworker
    )
    # From Friday 17 April, two working days end on Tuesday 21 April; ten
    # skip 1 May and end on Monday 4 May.
    assert reopened.step_due_at == end_of(2026, 4, 21)
    assert reopened.due_at == end_of(2026, 5, 4)
    assert reopened.next_due_at == end_of(2026, 4, 21)


def test_reopening_after_the_period_is_refused_and_changes_nothing(
    service, caseworker, clock
):
    case = closed_case(service, caseworker, clock)
    clock.now = local(2026, 3, 31, 8, 0) + timedelta(days=30, seconds=1)
    before = snapshot(case)
    with pytest.raises(services.ReopenExpired):
        services.reopen_case(
            case=case, step=step(case, "in-progress"), reason="Late.", by=caseworker
        )
    assert snapshot(case) == before


def test_reopening_an_open_case_is_refused(service, caseworker, clock):
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(InvalidMove):
        services.reopen_case(
            case=case, step=step(case, "in-progress"), reason="Why?", by=caseworker
        )
    assert snapshot(case) == before


# rate_case ---------------------------------------------------------------------------


def test_citizen_rates_a_closed_case(service, caseworker, clock):
    case = closed_case(service, caseworker, clock)
    event = services.rate_case(case=case, score=4, comment="Quick.")
    assert (event.kind, event.is_public, event.message, event.data) == (
        "case.rated",
        False,
        "Quick.",
        {"score": 4},
    )
    case.refresh_from_db()
    assert case.version == 3


def test_rating_an_open_case_is_refused(service, clock):
    case = submit(service)
    before = snapshot(case)
    with pytest.raises(InvalidMove):
        services.rate_case(case=case, score=4)
    assert snapshot(case) == before


def test_rating_twice_is_refused(service, caseworker, clock):
    case = closed_case(service, caseworker, clock)
    services.rate_case(case=case, score=4)
    before = snapshot(case)
    with pytest.raises(services.AlreadyRated):
        services.rate_case(case=case, score=5)
    assert snapshot(case) == before
    assert list(
        case.events.filter(kind="case.rated").values_list("data", flat=True)
    ) == [{"score": 4}]


@pytest.mark.parametrize("score", [0, 6])
def test_score_outside_one_to_five_is_refused(service, caseworker, clock, score):
    case = closed_case(service, caseworker, clock)
    before = snapshot(case)
    with pytest.raises(ValueError, match="1 to 5"):
        services.rate_case(case=case, score=score)
    assert snapshot(case) == before


# duplicate_candidates ----------------------------------------------------------------


def north(metres_as_degrees: float) -> dict:
    """A place due north of the first case; 0.0001° of latitude is 11.12 m."""
    return {"latitude": LATITUDE + metres_as_degrees, "longitude": LONGITUDE}


def test_duplicate_candidates_are_near_recent_open_cases_of_the_service(
    service, caseworker, clock
):
    clock.now = local(2026, 3, 2, 9, 0)
    older = submit(service, **north(0.0004))  # 44 m, 29 days before
    clock.now = local(2026, 2, 27, 9, 0)
    submit(service, **north(0.0001))  # 11 m, but 32 days before
    clock.now = local(2026, 3, 30, 8, 0)
    near = submit(service, **north(0.0001))  # 11 m
    south = submit(service, **north(-0.0002))  # 22 m, to the south
    submit(service, **north(0.0005))  # 56 m: outside the radius
    # Inside the bounding box, but about 58 m away along the diagonal.
    submit(service, latitude=LATITUDE + 0.0004, longitude=LONGITUDE + 0.0006)
    submit(ServiceFactory(), **north(0.0001))  # another service
    closed = submit(service, **north(0.0001))
    services.move_case_to_step(case=closed, step=step(closed, "closed"), by=caseworker)
    clock.now = local(2026, 3, 30, 9, 0)
    case = submit(service)
    assert selectors.duplicate_candidates(case) == [
        (near, 11),
        (south, 22),
        (older, 44),
    ]
