"""What every case service shares: locking, due dates, the version, citizen mail."""

from datetime import UTC, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from medborg.cases import selectors
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case
from medborg.municipality import working_calendar
from medborg.processes import deadlines


class StaleCase(Exception):
    """The case changed since the actor looked at it; nothing was done."""

    def __init__(self, reference: str, seen: str, current: str):
        self.reference = reference
        self.seen = seen
        self.current = current
        super().__init__(f"Case {reference} changed from {seen!r} to {current!r}")


def due(start, days):
    if days is None:
        return None
    return deadlines.add_working_days(start, days, **working_calendar())


def state_of(case: Case) -> str:
    """What an actor saw of the case: its step and status, for stale checks."""
    return f"{case.step_id}:{case.status}"


def locked(case: Case, *, expected_state: str | None = None) -> Case:
    """Lock the case row and re-read it; raise StaleCase if it moved meanwhile."""
    fresh = (
        Case.objects.select_for_update()
        .select_related("step", "service", "process", "team")
        .get(pk=case.pk)
    )
    if expected_state is not None and expected_state != state_of(fresh):
        raise StaleCase(fresh.reference, expected_state, state_of(fresh))
    return fresh


def set_next_due(case: Case) -> None:
    """Keep the inbox's sort key: the earlier due date, none while on hold or closed."""
    dues = [d for d in (case.step_due_at, case.due_at) if d is not None]
    stopped = case.on_hold_since or case.status == Status.CLOSED
    case.next_due_at = None if stopped or not dues else min(dues)


def bump_version(case: Case) -> None:
    """Mark a change the citizen can see; the cached version goes after commit."""
    case.version = F("version") + 1
    key = selectors.version_cache_key(case.token_hash)
    transaction.on_commit(lambda: cache.delete(key))


def schedule_citizen_mail(case: Case, now) -> None:
    """Plan one update e-mail for the public events not yet mailed.

    At most one e-mail per case per ``CITIZEN_MAIL_INTERVAL_MINUTES``: while one
    is planned, later events wait for it and go in the same message. Call before
    the case is saved; the task is enqueued after the commit.
    """
    if not (case.contact_email and case.sealed_token) or case.mail_due_at:
        return
    from medborg.cases import tasks

    interval = timedelta(minutes=settings.CITIZEN_MAIL_INTERVAL_MINUTES)
    send_at = now
    if case.last_mailed_at and case.last_mailed_at + interval > now:
        send_at = case.last_mailed_at + interval
    case.mail_due_at = send_at
    case_id = case.pk
    transaction.on_commit(
        lambda: tasks.send_case_update.using(run_after=send_at).enqueue(case_id)
    )


def save_change(case: Case, now) -> Case:
    """Save a change the citizen can see: sort key, version, then re-read."""
    case.updated_at = now
    set_next_due(case)
    bump_version(case)
    case.save()
    case.refresh_from_db()
    return case


def deadlines_in_force(case: Case, now) -> dict:
    """Return the case's and the step's due dates at ``now`` for an event's data.

    The events that move or close a case record them, so that whether a step or
    a case finished in time is read from the events alone (the open-data
    indicators). A case waiting for the citizen is given the working days held
    so far, as resuming its clock now would.
    """
    calendar = working_calendar()

    def in_force(value):
        if value is None:
            return None
        if case.on_hold_since:
            value = deadlines.resume_after_hold(
                value, held_from=case.on_hold_since, held_until=now, **calendar
            )
        return utc_iso(value)

    return {"due": in_force(case.due_at), "step_due": in_force(case.step_due_at)}


def utc_iso(moment) -> str | None:
    """Write a moment for an event's data: ISO 8601 in UTC, so that text compares."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def resume_clock(case: Case, now) -> dict:
    """Restart a stopped clock: push the due dates back by the working days held.

    Returns what the resuming event records (the KPIs count the time on hold).
    """
    held_from, calendar = case.on_hold_since, working_calendar()
    held = deadlines.working_days_between(held_from, now, **calendar)
    for field in ("step_due_at", "due_at"):
        resumed = deadlines.resume_after_hold(
            getattr(case, field), held_from=held_from, held_until=now, **calendar
        )
        setattr(case, field, resumed)
    case.on_hold_since = None
    return {
        "held_from": held_from.isoformat(),
        "held_until": now.isoformat(),
        "working_days_on_hold": held,
        "step_due_at": case.step_due_at.isoformat() if case.step_due_at else None,
        "due_at": case.due_at.isoformat() if case.due_at else None,
    }
