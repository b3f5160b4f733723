"""What staff do to a case: move, assign, note, ask, extend, merge, refer, reopen.

Every service here is atomic, locks the case row, refuses with a precise
exception when the case changed since the actor saw it (``expected_state``,
see ``StaleCase``), and appends its CaseEvent in the same transaction. Mail to
the citizen is planned in the same transaction and sent by a task after it.
Permissions beyond "may work on this case" are checked here too, so every
channel gets the same answer.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from medborg.cases.lifecycle import InvalidMove, Status, can_move, is_open
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.common import (
    deadlines_in_force,
    due,
    locked,
    resume_clock,
    save_change,
    schedule_citizen_mail,
)
from medborg.municipality import working_calendar
from medborg.processes import deadlines
from medborg.processes.models import Outcome, Step

MAX_EXTENSION_DAYS = 260


class StepNotAllowed(ValueError):
    """The process does not allow this move from the case's current step."""


class DeadlineNotSet(ValueError):
    """The deadline to extend is not set, or the case is no longer open."""


class ReopenExpired(Exception):
    """The case was closed longer ago than its service allows reopening."""


def move_case(*, case: Case, status: Status, by=None, at=None) -> Case:
    """Change the lifecycle status in the caller's transaction, or raise InvalidMove.

    ``at`` is the moment of the change (now by default), kept as ``closed_at``.
    """
    if not can_move(case.status, status):
        raise InvalidMove(case.reference, case.status, status)
    case.status = status
    case.closed_at = (at or timezone.now()) if status == Status.CLOSED else None
    return case


def _event(case, kind, now, by, *, public=False, message="", **data) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=now,
        actor=by,
        is_public=public,
        message=message,
        data=data,
    )
    if public:
        schedule_citizen_mail(case, now)
    return event


def _hold_by(case: Case, team) -> None:
    """Give the case to ``team``; an assignee outside it lets go."""
    stays = team.pk == case.team_id or not case.assignee_id
    if not stays and not team.members.filter(pk=case.assignee_id).exists():
        case.assignee = None
    case.team = team


def _enter_step(case: Case, step: Step, now) -> None:
    case.step = step
    case.step_entered_at = now
    case.step_due_at = None if step.is_final else due(now, step.expected_days)
    _hold_by(case, step.team or case.service.team)
    if step.is_final:
        move_case(case=case, status=Status.CLOSED, at=now)
    elif case.status != Status.IN_PROGRESS:
        move_case(case=case, status=Status.IN_PROGRESS)


def _outcome_step(case: Case, outcome: Outcome) -> Step | None:
    return case.process.steps.filter(outcome=outcome).order_by("position").first()


@transaction.atomic
def move_case_to_step(
    *,
    case: Case,
    step: Step,
    public_message: str = "",
    publish_message: bool = False,
    by,
    expected_state=None,
) -> Case:
    """Move the case to a step its current step may move to.

    ``publish_message`` shows the message to everyone (Open311's status_notes,
    the public API), not only to the citizen.

    A case waiting for the citizen has its clock restarted first (staff went on
    without the answer). Raises StepNotAllowed for a move the process does not
    list, InvalidMove for a closed case, StaleCase if the case moved meanwhile.
    """
    case = locked(case, expected_state=expected_state)
    if not is_open(case.status) and case.status != Status.DECIDED:
        raise InvalidMove(case.reference, case.status, Status.IN_PROGRESS)
    if step.process_id != case.process_id or step.key not in case.step.next_steps:
        raise StepNotAllowed(f"{case} may not move from {case.step.key} to {step.key}")
    now = timezone.now()
    previous = case.step
    resumed = resume_clock(case, now) if case.on_hold_since else None
    in_force = deadlines_in_force(case, now)
    _enter_step(case, step, now)
    _event(
        case,
        CaseEvent.Kind.MOVED,
        now,
        by,
        public=True,
        message=public_message,
        **{
            "from": previous.key,
            "to": step.key,
            "status": case.status,
            "outcome": step.outcome,
            "resumed": resumed,
            **in_force,
            **({"published": True} if publish_message and public_message else {}),
        },
    )
    from medborg.rules import services as rules

    if rules.applies(case):
        rules.decide_case(case=case, now=now, by=by)
    return save_change(case, now)


@transaction.atomic
def assign_case(*, case: Case, assignee, by) -> Case:
    """Give the case to ``assignee`` (or nobody); an internal event records it.

    Anyone who works on the case may take it or let it go; giving it to a
    colleague needs ``cases.assign_others`` (team leads). The assignee must be
    in the team that holds the case.
    """
    case = locked(case)
    if assignee is not None:
        if assignee.pk != by.pk and not by.has_perm("cases.assign_others"):
            raise PermissionDenied("Only team leads assign cases to colleagues.")
        if not case.team.members.filter(pk=assignee.pk).exists():
            raise ValueError(f"{assignee} is not in the team that holds {case}")
    now = timezone.now()
    case.assignee = assignee
    # The citizen may see the handler's name, so the tracking page must refresh.
    _event(
        case,
        CaseEvent.Kind.ASSIGNED,
        now,
        by,
        assignee=assignee.username if assignee else None,
    )
    return save_change(case, now)


@transaction.atomic
def add_note(*, case: Case, text: str, by) -> CaseEvent:
    """Append an internal note that the citizen never sees."""
    case = locked(case)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(updated_at=now)
    return _event(case, CaseEvent.Kind.NOTE, now, by, message=text)


@transaction.atomic
def request_information(*, case: Case, question: str, by, expected_state=None) -> Case:
    """Ask the citizen to complete the case; the clock stops until they answer.

    Raises InvalidMove when the case is not open or already waiting.
    """
    case = locked(case, expected_state=expected_state)
    if case.status == Status.WAITING_FOR_CITIZEN or not is_open(case.status):
        raise InvalidMove(case.reference, case.status, Status.WAITING_FOR_CITIZEN)
    now = timezone.now()
    move_case(case=case, status=Status.WAITING_FOR_CITIZEN, by=by)
    case.on_hold_since = now
    _event(
        case,
        CaseEvent.Kind.INFO_REQUESTED,
        now,
        by,
        public=True,
        message=question,
        step=case.step.key,
    )
    return save_change(case, now)


@transaction.atomic
def extend_deadline(
    *, case: Case, target: str, days: int, reason: str, by, expected_state=None
) -> Case:
    """Move the step's or the case's due date later by ``days`` working days.

    Needs ``cases.extend_deadline`` (team leads). The reason is shown to the
    citizen. Raises ValueError for a target without a due date, a closed case
    or a number of days outside 1..MAX_EXTENSION_DAYS.
    """
    if not by.has_perm("cases.extend_deadline"):
        raise PermissionDenied("Only team leads extend deadlines.")
    if target not in {"step", "case"}:
        raise ValueError(f"Unknown deadline {target!r}")
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValueError(f"Extensions are 1 to {MAX_EXTENSION_DAYS} working days")
    case = locked(case, expected_state=expected_state)
    field = "step_due_at" if target == "step" else "due_at"
    old = getattr(case, field)
    if old is None or not is_open(case.status):
        raise DeadlineNotSet(f"{case} has no {target} deadline to extend")
    new = deadlines.extend_by_working_days(old, days, **working_calendar())
    setattr(case, field, new)
    now = timezone.now()
    _event(
        case,
        CaseEvent.Kind.EXTENDED,
        now,
        by,
        public=True,
        message=reason,
        target=target,
        days=days,
        **{"from": old.isoformat(), "to": new.isoformat()},
    )
    return save_change(case, now)


def _close_in_outcome(case: Case, outcome: Outcome, now) -> None:
    step = _outcome_step(case, outcome)
    if step is not None:
        _enter_step(case, step, now)
    else:
        move_case(case=case, status=Status.CLOSED, at=now)
        case.step_due_at = None
    case.on_hold_since = None


def _original(case: Case) -> Case:
    seen = set()
    while case.duplicate_of_id and case.pk not in seen:
        seen.add(case.pk)
        case = case.duplicate_of
    return case


@transaction.atomic
def mark_duplicate(
    *, case: Case, original: Case, public_message: str = "", by, expected_state=None
) -> Case:
    """Close the case as a duplicate of ``original``; the citizen is pointed there.

    Both cases are locked (in id order, so two merges cannot deadlock). A chain
    of duplicates points to its first case. Raises ValueError for the case
    itself, a closed case or a closed original.
    """
    original = _original(original)
    if original.pk == case.pk:
        raise ValueError(f"{case} cannot be a duplicate of itself")
    # Lock both rows in one query, in id order: two merges cannot deadlock.
    list(
        Case.objects.select_for_update()
        .filter(pk__in=[case.pk, original.pk])
        .order_by("pk")
    )
    case = locked(case, expected_state=expected_state)
    original = Case.objects.get(pk=original.pk)
    if not is_open(case.status) or not is_open(original.status):
        raise ValueError(f"{case} and {original} must both be open to merge")
    now = timezone.now()
    case.duplicate_of = original
    in_force = deadlines_in_force(case, now)
    _close_in_outcome(case, Outcome.DUPLICATE, now)
    _event(
        case,
        CaseEvent.Kind.DUPLICATE,
        now,
        by,
        public=True,
        message=public_message,
        original=original.reference,
        step=case.step.key,
        **in_force,
    )
    _event(original, CaseEvent.Kind.MERGED, now, by, duplicate=case.reference)
    Case.objects.filter(pk=original.pk).update(updated_at=now)
    return save_change(case, now)


@transaction.atomic
def refer_case(
    *,
    case: Case,
    public_message: str,
    by,
    team=None,
    organisation: str = "",
    expected_state=None,
) -> Case:
    """Hand the case to another team, or out of the municipality (closing it).

    Exactly one of ``team`` and ``organisation`` is given; the public message
    tells the citizen where the case went and why.
    """
    if bool(team) == bool(organisation):
        raise ValueError("Refer to either a team or an organisation")
    case = locked(case, expected_state=expected_state)
    if not is_open(case.status):
        raise InvalidMove(case.reference, case.status, Status.IN_PROGRESS)
    now = timezone.now()
    if team is not None:
        if team.pk == case.team_id:
            raise ValueError(f"{case} is already held by {team}")
        _hold_by(case, team)
        data = {"team": team.slug, "team_name": team.name}
    else:
        data = {"organisation": organisation, **deadlines_in_force(case, now)}
        _close_in_outcome(case, Outcome.REFERRED, now)
    _event(
        case,
        CaseEvent.Kind.REFERRED,
        now,
        by,
        public=True,
        message=public_message,
        step=case.step.key,
        **data,
    )
    return save_change(case, now)


def reopen_until(case: Case):
    """When the case can no longer be reopened, or None if it is not closed."""
    if case.closed_at is None:
        return None
    return case.closed_at + timedelta(days=case.service.reopen_days)


@transaction.atomic
def reopen_case(
    *, case: Case, step: Step, reason: str, by, expected_state=None
) -> Case:
    """Open a closed case again in ``step``, within the service's reopen period.

    The step's and the case's due dates start again from now. Raises
    ReopenExpired after the period, InvalidMove if the case is not closed,
    StepNotAllowed for a step of another process or an outcome step.
    """
    case = locked(case, expected_state=expected_state)
    if case.status != Status.CLOSED:
        raise InvalidMove(case.reference, case.status, Status.REOPENED)
    now = timezone.now()
    if now > reopen_until(case):
        raise ReopenExpired(case.reference)
    if step.process_id != case.process_id or step.is_final:
        raise StepNotAllowed(f"{case} cannot be reopened in {step.key}")
    previous = case.step
    move_case(case=case, status=Status.REOPENED, by=by)
    case.duplicate_of = None
    case.step = step
    case.step_entered_at = now
    case.step_due_at = due(now, step.expected_days)
    case.due_at = due(now, case.service.deadline_days)
    _hold_by(case, step.team or case.service.team)
    _event(
        case,
        CaseEvent.Kind.REOPENED,
        now,
        by,
        public=True,
        message=reason,
        **{"from": previous.key, "to": step.key},
    )
    return save_change(case, now)
