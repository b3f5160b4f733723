"""Background work for bins: evaluate fill levels and sensors, join reports, tidy.

Arguments are ids only (task arguments are stored as JSON). ``run_scheduler``
enqueues the periodic ones; ingestion enqueues ``evaluate_bins`` for the bins
that got new readings; a citizen's overfull-bin report enqueues
``join_citizen_report`` after its commit.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from django_tasks import task

from medborg.cases.models import Case
from medborg.sensors.models import Bin, Device
from medborg.sensors.services import emptying

logger = logging.getLogger(__name__)


@task()
def evaluate_bins(bin_ids: list[int]) -> int:
    """Evaluate these bins now; return how many were evaluated."""
    return len(emptying.evaluate_bins(bin_ids=bin_ids))


@task()
def evaluate_all_bins() -> int:
    """Evaluate every active bin; return how many were evaluated."""
    bin_ids = list(Bin.objects.filter(active=True).values_list("pk", flat=True))
    return len(emptying.evaluate_bins(bin_ids=bin_ids))


@task()
def check_silent_sensors() -> int:
    """Evaluate the bins of sensors silent for ``SENSOR_SILENCE_HOURS``.

    A silent sensor sends nothing that would trigger an evaluation, so this
    looks for them; returns how many bins were evaluated.
    """
    since = timezone.now() - timedelta(hours=settings.SENSOR_SILENCE_HOURS)
    bin_ids = set(
        Device.objects.filter(bin__active=True, last_seen_at__lt=since).values_list(
            "bin_id", flat=True
        )
    ) | set(
        Device.objects.filter(
            bin__active=True, last_seen_at__isnull=True, created_at__lt=since
        ).values_list("bin_id", flat=True)
    )
    return len(emptying.evaluate_bins(bin_ids=sorted(bin_ids)))


@task()
def join_citizen_report(case_id: int) -> int | None:
    """Join a citizen's overfull-bin report to its bin's case; return that case's id."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return None
    joined = emptying.join_citizen_report(case=case)
    return joined.pk if joined else None


@task()
def downsample_readings(older_than_days: int | None = None) -> int:
    """Downsample raw readings older than ``READINGS_RAW_DAYS`` (or the given days)."""
    from medborg.sensors.services import retention

    return retention.downsample_readings(older_than_days=older_than_days)
