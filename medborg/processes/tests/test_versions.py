"""Versions: copying a process, putting a version to use, and the cases in between."""

import logging
import threading
import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import pytest

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.cases.models import CaseEvent
from medborg.cases.services import move_case_to_step, submit_case
from medborg.catalog.models import Service
from medborg.catalog.tests.factories import ServiceFactory
from medborg.processes import selectors
from medborg.processes.models import Process, Step
from medborg.processes.services import adopt_version, check_process, new_version
from medborg.processes.tests.factories import ProcessFactory

POTHOLE_STEPS = [
    ("received", "Received", 2, "", ["assessed", "duplicate"]),
    ("assessed", "Assessed", 5, "", ["scheduled", "rejected", "duplicate"]),
    ("scheduled", "Scheduled for repair", 20, "", ["repaired"]),
    ("repaired", "Repaired", None, "resolved", []),
    ("rejected", "Rejected", None, "rejected", []),
    ("duplicate", "Duplicate", None, "duplicate", []),
]

STEP_FIELDS = [
    "key",
    "position",
    "name_sv",
    "name_da",
    "name_en",
    "public_description_sv",
    "public_description_da",
    "public_description_en",
    "team_id",
    "expected_days",
    "outcome",
    "next_steps",
]


@pytest.fixture
def team(db):
    return TeamFactory(slug="streets")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role="serviceadmin", is_staff=True)


@pytest.fixture
def pothole(team):
    process = ProcessFactory(
        key="pothole",
        name_sv="Pothål",
        name_da="Hul i vejen",
        name_en="Pothole",
        steps=POTHOLE_STEPS,
        steps__team=team,
    )
    for step in process.steps.all():
        step.name_sv = f"{step.name_en} (sv)"
        step.name_da = f"{step.name_en} (da)"
        step.public_description_sv = f"{step.key}: vad det betyder."
        step.public_description_da = f"{step.key}: hvad det betyder."
        step.save()
    # One step held by another team, so the copy cannot just use one team.
    process.steps.filter(key="scheduled").update(team=TeamFactory(slug="crew"))
    return process


def steps_of(process):
    return list(process.steps.order_by("position").values(*STEP_FIELDS))


def process_row(process):
    return Process.objects.filter(pk=process.pk).values(
        "key", "version", "name_sv", "name_da", "name_en", "created_at"
    )[0]


def submit(service):
    return submit_case(service=service, answers={}).case


def test_new_version_copies_every_field_of_the_process_and_its_steps(
    pothole, admin_user
):
    copy = new_version(process=pothole, by=admin_user)
    copy.refresh_from_db()
    assert (copy.key, copy.version) == ("pothole", 2)
    assert (copy.name_sv, copy.name_da, copy.name_en) == (
        "Pothål",
        "Hul i vejen",
        "Pothole",
    )
    assert copy.pk != pothole.pk
    assert steps_of(copy) == steps_of(pothole)
    assert steps_of(copy)[2] == {
        "key": "scheduled",
        "position": 2,
        "name_sv": "Scheduled for repair (sv)",
        "name_da": "Scheduled for repair (da)",
        "name_en": "Scheduled for repair",
        "public_description_sv": "scheduled: vad det betyder.",
        "public_description_da": "scheduled: hvad det betyder.",
        "public_description_en": "Scheduled for repair: what it means.",
        "team_id": TeamFactory(slug="crew").pk,
        "expected_days": 20,
        "outcome": "",
        "next_steps": ["repaired"],
    }
    assert len(steps_of(copy)) == 6
    assert steps_of(copy)[2]["team_id"] != steps_of(copy)[0]["team_id"]
    assert not set(copy.steps.values_list("pk", flat=True)) & set(
        pothole.steps.values_list("pk", flat=True)
    )


def test_every_concrete_step_field_is_compared(pothole):
    # Guards STEP_FIELDS: a new field on Step must be added to it and to the copy.
    concrete = {field.attname for field in Step._meta.concrete_fields}
    untranslated = {"name", "public_description"}
    assert concrete - set(STEP_FIELDS) == {"id", "process_id"} | untranslated


def test_new_version_leaves_the_original_its_services_and_cases_untouched(
    pothole, admin_user
):
    service = ServiceFactory(process=pothole)
    case = submit(service)
    before = (process_row(pothole), steps_of(pothole), CaseEvent.objects.count())

    new_version(process=pothole, by=admin_user)

    assert (process_row(pothole), steps_of(pothole), CaseEvent.objects.count()) == (
        before
    )
    case.refresh_from_db()
    assert (case.process_id, case.step.key, case.step.process_id) == (
        pothole.pk,
        "received",
        pothole.pk,
    )
    service.refresh_from_db()
    assert service.process_id == pothole.pk


def test_new_version_numbers_after_the_latest_version_of_the_key(pothole, admin_user):
    ProcessFactory(key="pothole", version=4, steps__team=pothole.steps.first().team)
    ProcessFactory(key="parking", version=9)

    copy = new_version(process=pothole, by=admin_user)

    assert copy.version == 5
    assert sorted(
        Process.objects.filter(key="pothole").values_list("version", flat=True)
    ) == [
        1,
        4,
        5,
    ]


def test_new_version_of_a_frozen_version_is_not_frozen(pothole, admin_user):
    submit(ServiceFactory(process=pothole))

    copy = new_version(process=pothole, by=admin_user)

    assert selectors.is_frozen(pothole) is True
    assert selectors.is_frozen(copy) is False


def test_adopt_version_moves_the_services_of_the_key_and_counts_them(
    pothole, admin_user
):
    first = ServiceFactory(process=pothole)
    second = ServiceFactory(process=pothole)
    other = ServiceFactory()
    copy = new_version(process=pothole, by=admin_user)

    assert adopt_version(process=copy, by=admin_user) == 2

    assert dict(Service.objects.values_list("pk", "process_id")) == {
        first.pk: copy.pk,
        second.pk: copy.pk,
        other.pk: other.process_id,
    }
    assert other.process.key != "pothole"


def test_adopt_version_logs_each_service_it_moves(pothole, admin_user, caplog):
    ServiceFactory(process=pothole, code="pothole")
    ServiceFactory(process=pothole, code="pothole-express")
    copy = new_version(process=pothole, by=admin_user)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="medborg.processes.services"):
        adopt_version(process=copy, by=admin_user)

    assert sorted(record.getMessage() for record in caplog.records) == [
        f"service process changed service={code} key=pothole from=1 to=2 "
        f"by={admin_user.pk}"
        for code in ("pothole", "pothole-express")
    ]


def test_adopting_the_version_in_use_changes_nothing(pothole, admin_user):
    ServiceFactory(process=pothole)

    assert adopt_version(process=pothole, by=admin_user) == 0
    assert list(Service.objects.values_list("process_id", flat=True)) == [pothole.pk]


def test_adopt_version_may_step_back_to_an_older_version(pothole, admin_user):
    service = ServiceFactory(process=pothole)
    copy = new_version(process=pothole, by=admin_user)
    adopt_version(process=copy, by=admin_user)

    assert adopt_version(process=pothole, by=admin_user) == 1
    service.refresh_from_db()
    assert service.process_id == pothole.pk


def test_adopt_version_refuses_an_invalid_version_and_changes_nothing(
    pothole, admin_user
):
    service = ServiceFactory(process=pothole)
    copy = new_version(process=pothole, by=admin_user)
    copy.steps.filter(key="scheduled").update(next_steps=["fixed"], team=None)

    with pytest.raises(ValidationError) as refused:
        adopt_version(process=copy, by=admin_user)

    assert refused.value.messages == [
        "Step “scheduled” has no team.",
        "Step “scheduled” moves to unknown steps: fixed.",
        "From step “scheduled” no outcome can be reached.",
        "Step “repaired” cannot be reached from the first step.",
    ]
    service.refresh_from_db()
    assert service.process_id == pothole.pk


def test_check_process_reads_the_saved_steps(pothole, admin_user):
    assert check_process(pothole) == []
    pothole.steps.filter(key="repaired").update(next_steps=["received"])
    assert check_process(pothole) == [
        "Outcome step “repaired” cannot move on; cases are reopened instead."
    ]


def test_check_process_without_steps(db):
    process = Process.objects.create(key="empty", name="Empty")
    assert check_process(process) == ["A process needs at least one step."]


def test_a_running_case_keeps_its_version_and_a_new_case_gets_the_adopted_one(
    pothole, admin_user, team
):
    service = ServiceFactory(process=pothole, team=team)
    before = submit(service)
    copy = new_version(process=pothole, by=admin_user)
    copy.steps.filter(key="received").update(expected_days=1)

    adopt_version(process=copy, by=admin_user)
    after = submit(Service.objects.get(pk=service.pk))

    before.refresh_from_db()
    assert (before.process_id, before.step_id) == (
        pothole.pk,
        pothole.steps.get(key="received").pk,
    )
    assert (after.process_id, after.step_id) == (
        copy.pk,
        copy.steps.get(key="received").pk,
    )
    moved = move_case_to_step(
        case=before, step=pothole.steps.get(key="assessed"), by=admin_user
    )
    assert (moved.process_id, moved.step.process_id, moved.step.key) == (
        pothole.pk,
        pothole.pk,
        "assessed",
    )


def test_is_frozen_once_a_case_uses_the_version(pothole):
    service = ServiceFactory(process=pothole)
    assert selectors.is_frozen(pothole) is False
    submit(service)
    assert selectors.is_frozen(pothole) is True


def test_with_usage_counts_services_and_cases_in_one_query(pothole, admin_user):
    services = [ServiceFactory(process=pothole) for _ in range(2)]
    for service in services:
        submit(service)
        submit(service)
    unused = ProcessFactory(key="unused")
    copy = new_version(process=pothole, by=admin_user)

    with CaptureQueriesContext(connection) as queries:
        counts = {
            process.pk: (process.service_count, process.case_count)
            for process in selectors.with_usage()
        }

    assert len(queries) == 1
    assert counts[pothole.pk] == (2, 4)
    assert counts[copy.pk] == (0, 0)
    assert counts[unused.pk] == (0, 0)
    assert selectors.with_usage().get(pk=pothole.pk).case_count == 4


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks need PostgreSQL; SQLite's IMMEDIATE transactions serialize",
)
@pytest.mark.django_db(transaction=True)
def test_two_copies_made_at_once_get_different_versions(team):
    process = ProcessFactory(key="pothole", steps=POTHOLE_STEPS, steps__team=team)
    first_made = threading.Event()
    release = threading.Event()
    made, failed = [], []

    def copy(wait_before_commit):
        try:
            with transaction.atomic():
                made.append(new_version(process=process, by=None).version)
                if wait_before_commit:
                    first_made.set()
                    release.wait(5)
        except Exception as error:  # reported by the assertion below
            failed.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=copy, args=(True,))
    first.start()
    first_made.wait(5)
    second = threading.Thread(target=copy, args=(False,))
    second.start()
    time.sleep(0.3)  # the second copy is now waiting for the first one's lock
    release.set()
    first.join(10)
    second.join(10)

    assert failed == []
    assert sorted(made) == [2, 3]
