import re
import threading

from django.core import mail
from django.db import connection

import pytest

from medborg.cases import services, tokens
from medborg.cases.lifecycle import InvalidMove, Status
from medborg.cases.models import Case, CaseEvent
from medborg.cases.services.common import utc_iso
from medborg.catalog.tests.factories import ServiceFactory


def submit(service, **kwargs):
    return services.submit_case(
        service=service,
        answers={"size": "small", "danger": True},
        latitude=56.8777,
        longitude=14.8091,
        **kwargs,
    )


def test_submit_creates_case_first_event_and_reference(service, settings):
    submission = submit(service)
    case = submission.case
    assert submission.created is True
    assert re.fullmatch(r"KOM-\d{4}-000001", case.reference)
    assert case.status == Status.SUBMITTED
    assert case.step.key == "received"
    assert case.token_hash == tokens.hash_token(submission.token)
    assert submission.token not in case.token_hash
    events = list(case.events.values_list("kind", "is_public"))
    assert events == [("case.submitted", True)]
    assert case.due_at > case.submitted_at
    assert case.step_due_at > case.submitted_at


def test_references_count_up_without_gaps(service):
    references = [submit(service).case.reference for _ in range(3)]
    assert [r[-6:] for r in references] == ["000001", "000002", "000003"]


def test_same_submission_key_returns_the_first_case(service):
    key = tokens.new_submission_key()
    first = submit(service, submission_key=key)
    again = submit(service, submission_key=key)
    assert again.created is False
    assert again.case.pk == first.case.pk
    assert again.token == first.token
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_tracking_link_is_mailed_in_the_citizens_language(
    service, django_capture_on_commit_callbacks, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(service, contact_email="anna@example.se", language="en")
    assert mail.outbox == []  # not in the request: a worker sends it
    run_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.se"]
    assert submission.case.reference in message.subject
    assert f"/track/{submission.token}/" in message.body
    assert "received" in message.subject


def test_no_mail_without_address(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(service)
    assert mail.outbox == []


def test_move_to_step_writes_public_event_and_status(service, caseworker):
    case = submit(service).case
    step = case.process.steps.get(key="in-progress")
    moved = services.move_case_to_step(
        case=case, step=step, public_message="We are on it.", by=caseworker
    )
    assert moved.status == Status.IN_PROGRESS
    assert moved.step == step
    assert moved.version == 2
    event = moved.events.last()
    assert (event.kind, event.is_public, event.message, event.actor) == (
        "case.moved",
        True,
        "We are on it.",
        caseworker,
    )
    assert event.data == {
        "from": "received",
        "to": "in-progress",
        "status": "in_progress",
        "outcome": "",
        "resumed": None,
        "due": utc_iso(case.due_at),
        "step_due": utc_iso(case.step_due_at),
    }


def test_final_step_closes_the_case(service, caseworker):
    case = submit(service).case
    closed = services.move_case_to_step(
        case=case, step=case.process.steps.get(key="closed"), by=caseworker
    )
    assert closed.status == Status.CLOSED
    assert closed.closed_at is not None
    assert closed.step_due_at is None


def test_closed_case_refuses_to_move_and_writes_nothing(service, caseworker):
    case = submit(service).case
    case = services.move_case_to_step(
        case=case, step=case.process.steps.get(key="closed"), by=caseworker
    )
    before = CaseEvent.objects.count()
    with pytest.raises(InvalidMove):
        services.move_case_to_step(
            case=case, step=case.process.steps.get(key="in-progress"), by=caseworker
        )
    assert CaseEvent.objects.count() == before
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_step_of_another_process_is_refused(service, caseworker):
    case = submit(service).case
    other = ServiceFactory().process.steps.get(key="in-progress")
    with pytest.raises(ValueError, match="may not move"):
        services.move_case_to_step(case=case, step=other, by=caseworker)
    assert case.events.count() == 1


def test_assign_and_note_are_internal(service, caseworker):
    case = submit(service).case
    services.assign_case(case=case, assignee=caseworker, by=caseworker)
    services.add_note(case=case, text="Called the contractor.", by=caseworker)
    case.refresh_from_db()
    assert case.assignee == caseworker
    assert case.version == 2  # the handler's name may show; the note does not
    kinds = list(case.events.filter(is_public=False).values_list("kind", flat=True))
    assert kinds == ["case.assigned", "case.note"]


def test_case_events_cannot_be_edited(service):
    event = submit(service).case.events.get()
    event.message = "changed"
    with pytest.raises(ValueError, match="appended"):
        event.save()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_gap_free_references(service):
    count = 12
    references, errors = [], []
    barrier = threading.Barrier(4)

    def worker(n):
        try:
            barrier.wait()
            for _ in range(n):
                references.append(submit(service).case.reference)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(count // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(int(r[-6:]) for r in references)
    assert numbers == list(range(1, count + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_case(service):
    key = tokens.new_submission_key()
    results, barrier = [], threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            results.append(submit(service, submission_key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Case.objects.count() == 1
    assert len({r.case.pk for r in results}) == 1
    assert sorted(r.created for r in results) == [False, False, True]


def test_purge_removes_only_stale_unsent_photos(
    service, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from medborg.cases import photos
    from medborg.cases.models import Attachment
    from medborg.cases.tests.conftest import jpeg_bytes

    photo = photos.process(jpeg_bytes(), name="a.jpg", max_bytes=1_048_576)
    key = tokens.new_submission_key()
    kept = services.add_pending_photos(submission_key=key, photos=[photo])[0]
    stale = services.add_pending_photos(
        submission_key=tokens.new_submission_key(), photos=[photo]
    )[0]
    Attachment.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    submitted = submit(service, submission_key=tokens.new_submission_key())
    with django_capture_on_commit_callbacks(execute=True):
        count = services.purge_pending_photos(
            older_than=timezone.now() - timedelta(days=1)
        )
    assert count == 1
    assert list(Attachment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not stale.image.storage.exists(stale.image.name)
    assert submitted.case.attachments.count() == 0
