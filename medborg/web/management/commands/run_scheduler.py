"""Enqueue the periodic background work: a small interval table, no cron.

Run exactly one scheduler per installation (the workers that run the tasks
can be many). Interval jobs run at start and then every interval; daily jobs
run when their local time of day passes while the scheduler runs, never to
catch up at start: a restart at noon must not plan the day's routes again.
A job whose task module is not installed is skipped with a log line.
"""

import logging
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    task: str
    every: timedelta | None = None
    at: time | None = None
    # The task's keyword arguments, from the moment it is enqueued.
    arguments: Callable[[datetime], dict] | None = None


def _today(now: datetime) -> dict:
    return {"day": timezone.localdate(now).isoformat()}


JOBS = (
    Job("medborg.sensors.tasks.evaluate_all_bins", every=timedelta(minutes=15)),
    Job("medborg.sensors.tasks.check_silent_sensors", every=timedelta(minutes=15)),
    Job("medborg.sensors.tasks.downsample_readings", at=time(3)),
    Job("medborg.routing.tasks.plan_day", at=time(5), arguments=_today),
    Job("medborg.opendata.tasks.update_snapshots", every=timedelta(minutes=15)),
    Job("medborg.opendata.tasks.fetch_peers", at=time(4)),
)


def is_due(job: Job, *, last_run: datetime | None, now: datetime) -> bool:
    """True when ``job`` should be enqueued at ``now`` after its ``last_run``.

    Daily times are local wall-clock times.
    """
    if job.every is not None:
        return last_run is None or now - last_run >= job.every
    local = timezone.localtime(now)
    today_at = timezone.make_aware(datetime.combine(local.date(), job.at))
    return now >= today_at and (last_run is None or last_run < today_at)


class Scheduler:
    def __init__(self, jobs=JOBS, *, now: datetime):
        self.jobs = jobs
        # Daily jobs start as if just run: they wait for their next time.
        self.last_run = {job.task: None if job.every else now for job in jobs}
        self.missing = set()

    def run_pending(self, *, now: datetime) -> list[str]:
        """Enqueue every due job; return the task paths enqueued."""
        enqueued = []
        for job in self.jobs:
            if job.task in self.missing:
                continue
            if not is_due(job, last_run=self.last_run[job.task], now=now):
                continue
            try:
                task = import_string(job.task)
            except ImportError:
                logger.warning("scheduler skips %s: not installed", job.task)
                self.missing.add(job.task)
                continue
            task.enqueue(**(job.arguments(now) if job.arguments else {}))
            self.last_run[job.task] = now
            enqueued.append(job.task)
            logger.info("scheduler enqueued %s", job.task)
        return enqueued


class Command(BaseCommand):
    help = "Enqueue periodic tasks (bin evaluation, retention, route plans) forever."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run one pass and stop."
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=30.0,
            help="Seconds between passes (default 30).",
        )

    def handle(self, *args, once=False, tick=30.0, **options):
        scheduler = Scheduler(now=timezone.now())
        while True:
            for path in scheduler.run_pending(now=timezone.now()):
                self.stdout.write(f"enqueued {path}")
            if once:
                return
            try:
                clock.sleep(tick)
            except KeyboardInterrupt:
                return
