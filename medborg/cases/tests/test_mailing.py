"""E-mail to the citizen and the holder: sent by tasks, batched, retried, sealed.

Times are frozen in Europe/Stockholm; ``run_tasks`` runs the stored tasks that
are due at the frozen time, as the ``db_worker`` would.
"""

import json
import logging
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

import pytest
from django_tasks_db.models import DBTaskResult

from medborg.accounts.tests.factories import UserFactory
from medborg.cases import services, tokens
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADDRESS = "anna@example.se"
UPDATE_TASK = "medborg.cases.tasks.send_case_update"
RECEIPT_TASK = "medborg.cases.tasks.send_tracking_link"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


class Clock:
    """Stands in for ``timezone.now``; every module calls it through the module."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class BrokenBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def clock():
    """Frozen at Monday 13 April 2026, 09:00 in Stockholm; set ``now`` to move."""
    frozen = Clock(local(2026, 4, 13, 9, 0))
    with mock.patch("django.utils.timezone.now", new=frozen):
        yield frozen


@pytest.fixture
def broken_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"


@pytest.fixture
def submitted(service, clock, django_capture_on_commit_callbacks, run_tasks):
    """A case with an e-mail address whose receipt went out at 09:00."""
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(service, contact_email=ADDRESS, language="en")
    run_tasks()
    assert len(mail.outbox) == 1
    return submission


def submit(service, **kwargs):
    return services.submit_case(
        service=service,
        answers={"size": "small"},
        latitude=56.8777,
        longitude=14.8091,
        **kwargs,
    )


def move(case, key, by, message=""):
    return services.move_case_to_step(
        case=case,
        step=case.process.steps.get(key=key),
        public_message=message,
        by=by,
    )


def update_tasks():
    return DBTaskResult.objects.filter(task_path=UPDATE_TASK)


def to_citizen():
    return [message for message in mail.outbox if message.to == [ADDRESS]]


# The receipt -------------------------------------------------------------------------


def test_receipt_is_sent_by_a_worker_not_in_the_request(
    service, clock, django_capture_on_commit_callbacks, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(service, contact_email=ADDRESS).case
    assert mail.outbox == []
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.queue_name, task.args_kwargs) == (
        RECEIPT_TASK,
        "mail",
        {"args": [case.pk], "kwargs": {}},
    )
    assert run_tasks() == 1
    assert [message.to for message in mail.outbox] == [[ADDRESS]]


def test_receipt_carries_the_tracking_link(
    service, settings, clock, django_capture_on_commit_callbacks, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(service, contact_email=ADDRESS, language="en")
    run_tasks()
    message = mail.outbox[0]
    assert message.subject == (
        f"Your case {submission.case.reference} has been received"
    )
    link = f"{settings.BASE_URL}/track/{submission.token}/"
    assert f"\n{link}\n" in message.body


def test_receipt_is_recorded_in_the_history(submitted):
    event = submitted.case.events.last()
    assert (event.kind, event.is_public, event.at, event.data) == (
        "citizen.mailed",
        False,
        local(2026, 4, 13, 9, 0),
        {"what": "receipt"},
    )


def test_case_without_an_address_never_gets_a_task(
    service, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    lead = UserFactory(username="lead", role="teamlead", teams=[service.team])
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(service).case
        move(case, "in-progress", caseworker, "On it.")
        services.extend_deadline(
            case=case, target="case", days=2, reason="Parts.", by=lead
        )
        services.request_information(case=case, question="Where?", by=caseworker)
        move(case, "closed", caseworker, "Fixed.")
    assert DBTaskResult.objects.count() == 0
    assert run_tasks() == 0
    assert mail.outbox == []
    assert Case.objects.get(pk=case.pk).mail_due_at is None


# Batched updates ---------------------------------------------------------------------


def test_two_moves_before_the_worker_runs_make_one_email(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 0)
        move(case, "in-progress", caseworker, "Booked for Tuesday.")
        clock.now = local(2026, 4, 13, 10, 5)
        move(case, "received", caseworker, "Sent back for a check.")
    assert update_tasks().count() == 1
    assert run_tasks() == 1
    assert len(to_citizen()) == 2
    message = to_citizen()[1]
    assert message.subject == f"News about your case {case.reference}"
    body = message.body
    assert body.count("Moved to: ") == 2
    assert body.index("Moved to: In progress\nBooked for Tuesday.") < body.index(
        "Moved to: Received\nSent back for a check."
    )
    assert f"/track/{submitted.token}/" in body
    moves = list(case.events.filter(kind="case.moved").values_list("pk", flat=True))
    assert case.events.last().data == {"what": "update", "events": moves}


def test_update_email_is_written_in_the_citizens_language(
    service, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(service, contact_email=ADDRESS, language="sv").case
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "in-progress", caseworker)
    run_tasks()
    body = mail.outbox[1].body
    # The worker's language is English here; the entries follow the citizen's.
    assert "Flyttat till: In progress" in body
    assert "Moved to:" not in body


def test_event_after_an_email_waits_for_the_interval(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 0)
        move(case, "in-progress", caseworker)
    run_tasks()
    assert len(to_citizen()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 5)
        move(case, "received", caseworker)
    planned = update_tasks().get(status="READY")
    assert planned.run_after == local(2026, 4, 13, 10, 15)
    assert Case.objects.get(pk=case.pk).mail_due_at == local(2026, 4, 13, 10, 15)


def test_events_within_the_interval_go_in_the_next_email(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 0)
        move(case, "in-progress", caseworker)
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 5)
        move(case, "received", caseworker, "Second look.")
        clock.now = local(2026, 4, 13, 10, 10)
        move(case, "in-progress", caseworker, "Third look.")
    assert run_tasks() == 0
    assert len(to_citizen()) == 2
    clock.now = local(2026, 4, 13, 10, 15)
    assert run_tasks() == 1
    assert len(to_citizen()) == 3
    body = to_citizen()[2].body
    assert "Second look." in body
    assert "Third look." in body
    assert body.count("Moved to: ") == 2  # the first move went in the last e-mail
    assert Case.objects.get(pk=case.pk).last_mailed_at == local(2026, 4, 13, 10, 15)


def test_internal_events_never_cause_email(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(case=case, text="Called the contractor.", by=caseworker)
        services.assign_case(case=case, assignee=caseworker, by=caseworker)
    assert update_tasks().count() == 0
    assert run_tasks() == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("key", "asks"), [("closed", True), ("in-progress", False)], ids=["closed", "open"]
)
def test_closing_email_asks_for_satisfaction(
    submitted,
    caseworker,
    clock,
    django_capture_on_commit_callbacks,
    run_tasks,
    key,
    asks,
):
    with django_capture_on_commit_callbacks(execute=True):
        move(submitted.case, key, caseworker)
    run_tasks()
    body = to_citizen()[1].body
    assert ("Your case is closed. How satisfied are you?" in body) is asks


def test_citizens_answer_is_not_mailed_back(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        services.request_information(case=case, question="Where?", by=caseworker)
    run_tasks()
    assert len(to_citizen()) == 2
    clock.now = local(2026, 4, 13, 11, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_information(case=case, text="By the school.")
    assert update_tasks().filter(status="READY").count() == 0
    run_tasks()
    assert len(to_citizen()) == 2


def test_events_waiting_for_the_interval_survive_the_citizens_answer(
    submitted, caseworker, clock, django_capture_on_commit_callbacks, run_tasks
):
    lead = UserFactory(username="lead", role="teamlead", teams=[caseworker.teams.get()])
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 0)
        move(case, "in-progress", caseworker)
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        clock.now = local(2026, 4, 13, 10, 5)
        services.extend_deadline(
            case=case, target="case", days=5, reason="Waiting for asphalt.", by=lead
        )
        services.request_information(case=case, question="Where?", by=caseworker)
        clock.now = local(2026, 4, 13, 10, 10)
        services.answer_information(case=case, text="By the school.")
    clock.now = local(2026, 4, 13, 10, 15)
    run_tasks()
    assert len(to_citizen()) == 3
    body = to_citizen()[2].body
    assert "The case's deadline was extended\nWaiting for asphalt." in body
    assert "We need more information from you\nWhere?" in body
    assert "By the school." not in body


# A failing mail server ---------------------------------------------------------------


def test_failing_mail_server_does_not_undo_the_move(
    submitted,
    caseworker,
    clock,
    broken_mail,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    case = submitted.case
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "in-progress", caseworker, "On it.")
    assert run_tasks() == 1
    case.refresh_from_db()
    assert (case.step.key, case.status, case.version) == (
        "in-progress",
        Status.IN_PROGRESS,
        2,
    )
    assert list(case.events.values_list("kind", flat=True)) == [
        "case.submitted",
        "citizen.mailed",
        "case.moved",
    ]


def test_failed_email_is_tried_again_later_then_given_up(
    submitted,
    caseworker,
    clock,
    broken_mail,
    caplog,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    case = submitted.case
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "in-progress", caseworker)
    run_afters = []
    for _ in range(10):
        assert run_tasks() == 1
        pending = update_tasks().filter(status="READY").first()
        if pending is None:
            break
        run_afters.append(pending.run_after)
        assert pending.args_kwargs == {
            "args": [case.pk],
            "kwargs": {"attempt": len(run_afters) + 1},
        }
        clock.now = pending.run_after
    assert run_afters == [
        local(2026, 4, 13, 9, 1),
        local(2026, 4, 13, 9, 3),
        local(2026, 4, 13, 9, 7),
        local(2026, 4, 13, 9, 15),
    ]
    assert update_tasks().count() == 5
    messages = [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "medborg.cases.tasks"
    ]
    assert [level for level, _ in messages] == ["WARNING"] * 4 + ["ERROR"]
    assert messages[-1][1] == (
        f"mail given up task=send_case_update args=({case.pk},) attempts=5 "
        "error=ConnectionRefusedError"
    )
    assert len(mail.outbox) == 1


def test_no_token_or_address_in_logs_or_task_arguments(
    service,
    caseworker,
    clock,
    broken_mail,
    caplog,
    run_tasks,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(service, contact_email=ADDRESS)
        move(submission.case, "in-progress", caseworker)
    for minutes in (0, 1, 3, 7, 15, 30):
        clock.now = local(2026, 4, 13, 9, 0) + timedelta(minutes=minutes)
        run_tasks()
    assert any("mail given up" in record.getMessage() for record in caplog.records)
    stored = json.dumps(
        list(DBTaskResult.objects.values_list("args_kwargs", "return_value"))
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (submission.token, ADDRESS, submission.case.sealed_token):
        assert secret not in stored
        assert secret not in logged


def test_given_up_update_does_not_silence_later_ones(
    submitted,
    caseworker,
    clock,
    settings,
    django_capture_on_commit_callbacks,
    run_tasks,
):
    case = submitted.case
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "in-progress", caseworker, "First.")
    for minutes in (0, 1, 3, 7, 15):
        clock.now = local(2026, 4, 13, 9, 0) + timedelta(minutes=minutes)
        run_tasks()
    assert Case.objects.get(pk=case.pk).mail_due_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.now = local(2026, 4, 13, 12, 0)
    with django_capture_on_commit_callbacks(execute=True):
        move(case, "received", caseworker, "Second.")
    assert run_tasks() == 1
    assert len(to_citizen()) == 2
    body = to_citizen()[1].body
    assert "First." in body
    assert "Second." in body


# The sealed token --------------------------------------------------------------------


def test_sealed_token_unseals_to_the_token():
    token = tokens.new_token()
    sealed = tokens.seal(token)
    assert token not in sealed
    assert tokens.unseal(sealed, tokens.hash_token(token)) == token


def test_sealed_token_with_another_hash_unseals_to_nothing():
    sealed = tokens.seal(tokens.new_token())
    assert tokens.unseal(sealed, tokens.hash_token(tokens.new_token())) is None


def test_tampered_seal_unseals_to_nothing():
    token = tokens.new_token()
    assert tokens.unseal("not-a-seal", tokens.hash_token(token)) is None


def test_sealed_token_survives_a_secret_key_rotation(settings):
    token = tokens.new_token()
    old_secret = settings.SECRET_KEY
    sealed = tokens.seal(token)
    settings.SECRET_KEY = "a-new-secret-key-of-fifty-or-more-random-characters-0123"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert tokens.unseal(sealed, tokens.hash_token(token)) == token


def test_sealed_token_is_lost_when_the_old_secret_is_dropped(settings):
    token = tokens.new_token()
    sealed = tokens.seal(token)
    settings.SECRET_KEY = "a-new-secret-key-of-fifty-or-more-random-characters-0123"
    settings.SECRET_KEY_FALLBACKS = []
    assert tokens.unseal(sealed, tokens.hash_token(token)) is None
