"""Background work for cases: e-mail to citizens and holders, with retries.

Arguments are ids only (task arguments are stored): never a token or an
address. A failed e-mail is tried again with a growing pause, up to
``MAIL_ATTEMPTS`` times, then logged; the action that caused it stays done.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from django_tasks import task

from medborg.cases.services import mailing

logger = logging.getLogger(__name__)


def _retry(task_, args: tuple, attempt: int, error: Exception) -> bool:
    """Enqueue the task again after a pause; False once it is given up."""
    if attempt >= settings.MAIL_ATTEMPTS:
        logger.error(
            "mail given up task=%s args=%s attempts=%d error=%s",
            task_.name,
            args,
            attempt,
            type(error).__name__,
        )
        return False
    pause = timedelta(minutes=2 ** (attempt - 1))
    logger.warning(
        "mail failed task=%s args=%s attempt=%d error=%s; again in %s",
        task_.name,
        args,
        attempt,
        type(error).__name__,
        pause,
    )
    task_.using(run_after=timezone.now() + pause).enqueue(*args, attempt=attempt + 1)
    return True


@task(queue_name="mail")
def send_tracking_link(case_id: int, attempt: int = 1) -> bool:
    try:
        return mailing.deliver_tracking_link(case_id)
    except Exception as error:  # noqa: BLE001 - any mail failure is retried
        _retry(send_tracking_link, (case_id,), attempt, error)
        return False


@task(queue_name="mail")
def send_case_update(case_id: int, attempt: int = 1) -> int:
    try:
        return mailing.deliver_case_update(case_id)
    except Exception as error:  # noqa: BLE001 - any mail failure is retried
        if not _retry(send_case_update, (case_id,), attempt, error):
            mailing.release_planned_update(case_id)
        return 0


@task(queue_name="mail")
def notify_holder(case_id: int, event_id: int, attempt: int = 1) -> bool:
    try:
        return mailing.deliver_holder_notice(case_id, event_id)
    except Exception as error:  # noqa: BLE001 - any mail failure is retried
        _retry(notify_holder, (case_id, event_id), attempt, error)
        return False
