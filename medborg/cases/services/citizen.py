"""What the citizen does to their own case: answer a question, say how it went."""

from django.db import transaction
from django.utils import timezone

from medborg.cases.lifecycle import InvalidMove, Status
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.common import (
    bump_version,
    locked,
    resume_clock,
    save_change,
)
from medborg.cases.services.workflow import move_case


class AlreadyRated(Exception):
    """The citizen has already said how satisfied they are with this case."""


@transaction.atomic
def answer_information(*, case: Case, text: str) -> Case:
    """Record the citizen's answer, restart the clock and hand the case back.

    The new due dates are stored in the event, so the citizen sees them and the
    KPIs can count the time on hold. The holder is told by a task after the
    commit. Raises InvalidMove when the case is not waiting for the citizen (a
    second answer, or staff went on meanwhile).
    """
    case = locked(case)
    if case.status != Status.WAITING_FOR_CITIZEN:
        raise InvalidMove(case.reference, case.status, Status.IN_PROGRESS)
    now = timezone.now()
    resumed = resume_clock(case, now)
    move_case(case=case, status=Status.IN_PROGRESS)
    event = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.INFO_RECEIVED,
        at=now,
        is_public=True,
        message=text,
        data=resumed,
    )
    # The citizen wrote it: no e-mail tells them what they just did, since
    # update e-mails leave out INFO_RECEIVED (``mailing.NOT_MAILED``). Marking
    # the event as mailed here would also drop the public events still waiting
    # for the next e-mail.
    from medborg.cases import tasks

    transaction.on_commit(lambda: tasks.notify_holder.enqueue(case.pk, event.pk))
    return save_change(case, now)


def has_rated(case: Case) -> bool:
    return case.events.filter(kind=CaseEvent.Kind.RATED).exists()


@transaction.atomic
def rate_case(*, case: Case, score: int, comment: str = "") -> CaseEvent:
    """Store the citizen's satisfaction (1–5) with a closed case, once.

    Raises ValueError for a score outside 1..5, InvalidMove for a case that is
    not closed, AlreadyRated for a second answer.
    """
    if not 1 <= score <= 5:
        raise ValueError("The score is 1 to 5")
    case = locked(case)
    if case.status != Status.CLOSED:
        raise InvalidMove(case.reference, case.status, Status.CLOSED)
    if has_rated(case):
        raise AlreadyRated(case.reference)
    now = timezone.now()
    event = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.RATED,
        at=now,
        message=comment,
        data={"score": score},
    )
    # The tracking page swaps the question for a thank-you.
    bump_version(case)
    case.save(update_fields=["version"])
    return event
