from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from medborg.cases import services as cases
from medborg.cases.lifecycle import Status
from medborg.cases.models import Case, CaseEvent
from medborg.sensors.models import BinCase
from medborg.sensors.services import emptying
from medborg.sensors.tests.test_emptying import make_bin, make_bin_services

# About 11 m and 45 m north of the bin at 56.8777, 14.8091.
NEAR = (56.8778, 14.8091)
FAR = (56.8781, 14.8091)


@pytest.fixture
def bin_services(db):
    return make_bin_services()


@pytest.fixture
def radius(settings):
    settings.BIN_REPORT_RADIUS_METRES = 30


def report(service, place=NEAR, problem="overfull", **fields):
    return cases.submit_case(
        service=service,
        answers={"problem": problem},
        latitude=place[0],
        longitude=place[1],
        language="en",
        **fields,
    ).case


def run_queued(django_capture_on_commit_callbacks):
    """Run the stored tasks as a worker would; return their paths."""
    done = []
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.claim("test")
        with django_capture_on_commit_callbacks(execute=True):
            value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.set_successful(value)
        done.append(row.task_path)
    return done


def test_a_report_enqueues_the_join_after_commit(
    bin_services, radius, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(bin_services["report"])
    row = DBTaskResult.objects.get()
    assert row.task_path == "medborg.sensors.tasks.join_citizen_report"
    assert row.args_kwargs == {"args": [case.pk], "kwargs": {}}


def test_a_report_on_another_service_enqueues_nothing(
    bin_services, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cases.submit_case(
            service=bin_services["fault"],
            answers={"sensor": "x", "fault": "silent"},
            latitude=NEAR[0],
            longitude=NEAR[1],
        )
    assert not DBTaskResult.objects.exists()


def test_a_report_near_a_bin_joins_its_open_case(
    bin_services, radius, django_capture_on_commit_callbacks
):
    bin = make_bin()
    emptying_case = emptying.open_emptying_case(bin=bin, reason="threshold")
    with django_capture_on_commit_callbacks(execute=True):
        citizen = report(bin_services["report"])
    assert run_queued(django_capture_on_commit_callbacks) == [
        "medborg.sensors.tasks.join_citizen_report"
    ]
    citizen.refresh_from_db()
    assert citizen.duplicate_of == emptying_case
    assert citizen.status == Status.CLOSED
    assert citizen.step.key == "duplicate"
    pointer = citizen.events.get(kind=CaseEvent.Kind.DUPLICATE)
    assert pointer.is_public
    assert pointer.message == (
        f"This bin is already due to be emptied. Follow case {emptying_case.reference}."
    )
    assert emptying_case.events.filter(kind=CaseEvent.Kind.MERGED).count() == 1
    assert BinCase.objects.count() == 1


def test_a_report_near_a_bin_without_a_case_opens_one(bin_services, radius):
    bin = make_bin()
    citizen = report(bin_services["report"])
    joined = emptying.join_citizen_report(case=citizen)
    link = BinCase.objects.get()
    assert (link.bin, link.case, link.reason) == (bin, joined, "citizen")
    assert joined.answers == {"bin": bin.code, "reason": "citizen"}
    citizen.refresh_from_db()
    assert citizen.duplicate_of == joined


def test_the_nearest_bin_is_joined(bin_services, radius):
    make_bin("far", latitude=56.87785)
    near = make_bin("near", latitude=56.8778)
    emptying.join_citizen_report(case=report(bin_services["report"]))
    assert BinCase.objects.get().bin == near


@pytest.mark.parametrize(
    ("place", "problem"),
    [(FAR, "overfull"), (NEAR, "damaged"), (NEAR, "missing")],
    ids=["too-far", "damaged", "missing"],
)
def test_a_report_far_from_bins_or_not_about_fullness_stays_its_own(
    bin_services, radius, place, problem
):
    make_bin()
    citizen = report(bin_services["report"], place=place, problem=problem)
    events = CaseEvent.objects.count()
    assert emptying.join_citizen_report(case=citizen) is None
    assert CaseEvent.objects.count() == events
    assert not BinCase.objects.exists()
    citizen.refresh_from_db()
    assert (citizen.status, citizen.duplicate_of) == (Status.SUBMITTED, None)


def test_an_inactive_bin_is_not_joined(bin_services, radius):
    make_bin(active=False)
    assert emptying.join_citizen_report(case=report(bin_services["report"])) is None
    assert not Case.objects.filter(service__code="bin-emptying").exists()


def test_joining_twice_changes_nothing_the_second_time(bin_services, radius):
    make_bin()
    citizen = report(bin_services["report"])
    first = emptying.join_citizen_report(case=citizen)
    events = CaseEvent.objects.count()
    assert emptying.join_citizen_report(case=citizen) is None
    assert CaseEvent.objects.count() == events
    assert first.status == Status.SUBMITTED


def test_the_citizen_follows_the_emptying_case_to_its_end(bin_services, radius):
    bin = make_bin()
    citizen = report(bin_services["report"])
    joined = emptying.join_citizen_report(case=citizen)
    emptying.close_emptying_case(bin=bin, reason="driver")
    joined.refresh_from_db()
    assert joined.status == Status.CLOSED
    assert joined.closed_at <= timezone.now()
