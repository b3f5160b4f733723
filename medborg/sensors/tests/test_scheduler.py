from datetime import datetime, time, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from medborg.sensors import tasks
from medborg.sensors.models import BinCase, Device
from medborg.sensors.tests.test_emptying import (
    add_readings,
    make_bin,
    make_bin_services,
    make_lively_bin,
)
from medborg.web.management.commands.run_scheduler import Job, Scheduler, is_due


@pytest.fixture
def bin_services(db):
    return make_bin_services()


@pytest.fixture
def lively(db):
    return make_lively_bin()


EVERY_15 = Job("medborg.sensors.tasks.evaluate_all_bins", every=timedelta(minutes=15))
AT_3 = Job("medborg.sensors.tasks.downsample_readings", at=time(3))


def local(hour, minute=0, day=2):
    zone = timezone.get_current_timezone()
    return datetime(2026, 3, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("last_run", "now", "due"),
    [
        (None, local(10), True),
        (local(10), local(10, 14), False),
        (local(10), local(10, 15), True),
    ],
)
def test_an_interval_job_runs_at_start_and_every_interval(last_run, now, due):
    assert is_due(EVERY_15, last_run=last_run, now=now) is due


@pytest.mark.parametrize(
    ("last_run", "now", "due"),
    [
        (local(2, 59), local(2, 59, 30), False),
        (local(2, 59), local(3), True),
        (local(3), local(4), False),
        (local(3, 0, day=1), local(2, 0), False),
        (local(3, 0, day=1), local(3, 1), True),
    ],
)
def test_a_daily_job_runs_once_when_its_time_passes(last_run, now, due):
    assert is_due(AT_3, last_run=last_run, now=now) is due


def test_a_daily_job_does_not_catch_up_at_start():
    scheduler = Scheduler((AT_3,), now=local(12))
    assert scheduler.run_pending(now=local(12)) == []


def test_a_job_whose_module_is_missing_is_skipped(db):
    job = Job("medborg.nowhere.tasks.plan_day", every=timedelta(minutes=1))
    scheduler = Scheduler((job, EVERY_15), now=local(12))
    assert scheduler.run_pending(now=local(12)) == [EVERY_15.task]
    assert scheduler.missing == {job.task}


def test_once_enqueues_the_interval_jobs(db):
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "medborg.opendata.tasks.update_snapshots",
        "medborg.sensors.tasks.check_silent_sensors",
        "medborg.sensors.tasks.evaluate_all_bins",
    ]
    assert "enqueued medborg.sensors.tasks.evaluate_all_bins" in out.getvalue()


def test_evaluate_all_bins_evaluates_every_active_bin(bin_services, lively):
    full = make_bin("full")
    add_readings(full, [85, 90])
    make_bin("retired", active=False)
    # lively and full are active.
    assert tasks.evaluate_all_bins.call() == 2
    assert BinCase.objects.get().bin == full


def test_evaluate_bins_task_takes_ids(bin_services, lively):
    full = make_bin("full")
    add_readings(full, [85, 90])
    assert tasks.evaluate_bins.call([full.pk]) == 1
    assert BinCase.objects.get().bin == full


def test_check_silent_sensors_evaluates_only_the_silent_ones(
    bin_services, lively, settings
):
    settings.SENSOR_SILENCE_HOURS = 24
    quiet = make_bin("quiet")
    add_readings(quiet, [30, 31], end=timezone.now() - timedelta(hours=25))
    assert tasks.check_silent_sensors.call() == 1
    link = BinCase.objects.get()
    assert (link.bin, link.kind, link.reason) == (quiet, BinCase.Kind.FAULT, "silent")
    assert Device.objects.get(bin=quiet).fault == "silent"
