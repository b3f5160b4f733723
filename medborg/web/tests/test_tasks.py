"""Background work: tasks are database rows that a `db_worker` runs after commit."""

import io
import logging
import signal
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

import pytest
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from medborg import env


@task()
def double(number: int) -> int:
    return number * 2


@task()
def refuse() -> None:
    raise ValueError("the mail server said no")


@pytest.fixture
def run_worker():
    """Run one worker until no task is ready, with the options `make run` uses.

    The command installs signal handlers and log handlers for its process; they
    are put back so that the rest of the suite runs as before.
    """
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    saved_loggers = [(logger, logger.level, logger.handlers[:]) for logger in loggers]
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved_signals = {number: signal.getsignal(number) for number in signals}

    def run():
        call_command(
            "db_worker",
            "--queue-name=*",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            verbosity=0,
            stdout=io.StringIO(),
        )

    yield run
    for number, handler in saved_signals.items():
        signal.signal(number, handler)
    for logger, level, handlers in saved_loggers:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def test_the_default_backend_is_the_database_with_the_default_and_mail_queues():
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    assert backend.queues == {"default", "mail"}
    assert double.get_backend() is backend


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queue_name", ["default", "mail"])
def test_a_task_enqueued_on_commit_is_stored_then_run_by_the_worker(
    run_worker, queue_name
):
    results = []
    with transaction.atomic():
        transaction.on_commit(
            lambda: results.append(double.using(queue_name=queue_name).enqueue(21))
        )
        assert DBTaskResult.objects.count() == 0

    [result] = results
    stored = DBTaskResult.objects.get()
    assert (str(stored.id), stored.status, stored.queue_name) == (
        result.id,
        TaskResultStatus.READY,
        queue_name,
    )

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
    assert result.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_on_commit_of_a_rolled_back_transaction_is_never_stored():
    with transaction.atomic():
        transaction.on_commit(lambda: double.enqueue(21))
        transaction.set_rollback(True)

    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_task_due_later_is_left_ready_by_the_worker(run_worker):
    result = double.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(21)

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.READY
    assert result.started_at is None
    assert result.worker_ids == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_recorded_and_the_worker_carries_on(run_worker):
    failing = refuse.enqueue()
    following = double.enqueue(4)

    run_worker()

    failing.refresh()
    following.refresh()
    assert failing.status == TaskResultStatus.FAILED
    assert [error.exception_class for error in failing.errors] == [ValueError]
    assert following.status == TaskResultStatus.SUCCESSFUL
    assert following.return_value == 8


@pytest.mark.parametrize(
    "name",
    [
        "MEDBORG_CITIZEN_MAIL_INTERVAL",
        "MEDBORG_MAIL_ATTEMPTS",
        "MEDBORG_DUPLICATE_RADIUS",
        "MEDBORG_DUPLICATE_WINDOW",
        "MEDBORG_DUE_SOON",
    ],
)
@pytest.mark.parametrize("text", ["0", "-3", "fifteen", ""])
def test_a_count_that_is_not_positive_stops_start_up_naming_it(monkeypatch, name, text):
    monkeypatch.setenv(name, text)
    with pytest.raises(ImproperlyConfigured) as raised:
        env.as_int(name)
    assert str(raised.value) == (
        f"{name} must be a whole number of at least 1, not {text!r}"
    )
