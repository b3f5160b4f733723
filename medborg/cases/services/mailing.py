"""Send the e-mails a case calls for; run by the tasks in ``cases.tasks``.

Each function reads the case afresh, sends at most one message and records
what it sent in the case's history. Mail errors propagate so that the task can
try again later; the action that caused the mail was committed long before.
"""

import logging

from django.db import transaction
from django.utils import timezone, translation

from medborg.cases import mail, payloads, selectors, tokens
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.citizen import has_rated
from medborg.cases.services.common import schedule_citizen_mail

logger = logging.getLogger(__name__)

# The citizen's own doings are not news to them.
NOT_MAILED = frozenset({CaseEvent.Kind.SUBMITTED, CaseEvent.Kind.INFO_RECEIVED})


def _token(case: Case) -> str | None:
    token = (
        tokens.unseal(case.sealed_token, case.token_hash) if case.sealed_token else None
    )
    if token is None and case.contact_email:
        logger.warning(
            "cannot mail reference=%s: no usable sealed token", case.reference
        )
    return token


def deliver_tracking_link(case_id: int) -> bool:
    """Mail the receipt with the tracking link; False when there is nothing to do."""
    case = Case.objects.select_related("service").filter(pk=case_id).first()
    token = case and case.contact_email and _token(case)
    if not token:
        return False
    mail.send_tracking_link(case, token)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.MAILED,
        at=timezone.now(),
        data={"what": "receipt"},
    )
    return True


def deliver_case_update(case_id: int) -> int:
    """Mail the public events not yet mailed in one message; return how many.

    Events that arrive while the message is being sent are not lost: the case
    is locked after sending, and if newer events are there another e-mail is
    planned after the interval.
    """
    case = Case.objects.select_related("service", "process").filter(pk=case_id).first()
    if case is None:
        return 0
    token = _token(case)
    events = [
        event
        for event in selectors.public_timeline(case)
        if event.pk > case.mailed_event_id and event.kind not in NOT_MAILED
    ]
    if events and token:
        # The entries' titles and step names are part of the message: they
        # follow the citizen's language, not the worker's.
        with translation.override(case.language):
            entries = payloads.timeline(events, selectors.step_names(case))
        ask = case.status == Status.CLOSED and not has_rated(case)
        mail.send_update(case, token, entries, ask_feedback=ask)
    sent_up_to = max((event.pk for event in events), default=case.mailed_event_id)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        now = timezone.now()
        case.mail_due_at = None
        if events and token:
            case.last_mailed_at = now
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.MAILED,
                at=now,
                data={"what": "update", "events": [event.pk for event in events]},
            )
        case.mailed_event_id = max(case.mailed_event_id, sent_up_to)
        newer = (
            case.events.filter(is_public=True, pk__gt=case.mailed_event_id)
            .exclude(kind__in=NOT_MAILED)
            .exists()
        )
        if newer:
            schedule_citizen_mail(case, now)
        case.save(update_fields=["mail_due_at", "last_mailed_at", "mailed_event_id"])
    return len(events) if token else 0


def release_planned_update(case_id: int) -> None:
    """Forget the planned update e-mail after its task gave up.

    The events it was to carry stay unmailed, so the next public event plans a
    new e-mail that carries them too; without this the case would wait for the
    given-up e-mail forever and its citizen would get no more updates.
    """
    Case.objects.filter(pk=case_id).update(mail_due_at=None)


def deliver_holder_notice(case_id: int, event_id: int) -> bool:
    """Tell the assignee, or else the holding team, of an answer or an appeal."""
    case = (
        Case.objects.select_related("service", "assignee", "team")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return False
    address = (case.assignee.email if case.assignee else "") or case.team.email
    if not address:
        return False
    appeal = CaseEvent.objects.filter(
        pk=event_id, kind=CaseEvent.Kind.APPEALED
    ).exists()
    mail.send_holder_notice(case, [address], appeal=appeal)
    return True
