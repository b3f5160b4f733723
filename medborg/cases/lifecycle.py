"""The case's lifecycle: a small fixed state machine, separate from process steps.

Pure: no ORM. ``cases.services.move_case`` is the only caller that changes a
status, and it checks every move against :data:`MOVES`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CITIZEN = "waiting_for_citizen", _("Waiting for you")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


OPEN = frozenset(
    {Status.SUBMITTED, Status.IN_PROGRESS, Status.WAITING_FOR_CITIZEN, Status.REOPENED}
)

MOVES: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset(
        {
            Status.IN_PROGRESS,
            Status.WAITING_FOR_CITIZEN,
            Status.DECIDED,
            # A report that is dealt with on sight (a lamp already repaired) may
            # close straight from the inbox.
            Status.CLOSED,
        }
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_FOR_CITIZEN, Status.DECIDED, Status.CLOSED}
    ),
    # The citizen's answer puts the case back in the hands of the team.
    Status.WAITING_FOR_CITIZEN: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    # A decision is closed once it is communicated; an appeal reopens it.
    Status.DECIDED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_FOR_CITIZEN, Status.DECIDED, Status.CLOSED}
    ),
}


class InvalidMove(Exception):
    def __init__(self, reference: str, current: str, requested: str):
        self.reference = reference
        self.current = current
        self.requested = requested
        super().__init__(
            f"Case {reference} cannot move from {current!r} to {requested!r}"
        )


def can_move(current: Status, requested: Status) -> bool:
    return requested in MOVES[Status(current)]


def is_open(status: Status) -> bool:
    return status in OPEN
