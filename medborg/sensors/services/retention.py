"""Downsample old raw readings to one row per sensor and day.

Raw readings older than ``settings.READINGS_RAW_DAYS`` are summarized into
``DailyFill`` rows (count, lowest, highest and last fill level of the
municipality's local day) and then deleted. The work goes one local day and
one slice of devices at a time, each in its own transaction, so a backlog of
years never becomes one huge transaction, and every query reads through the
unique (device, measured_at) index, which every storage layout has.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone

from medborg.sensors.models import DailyFill, Device, Reading

# Devices per transaction: a day of 200 sensors reporting every 15 minutes is
# under 20,000 rows.
DEVICES_PER_CHUNK = 200


@dataclass
class _Day:
    bin_id: int | None
    readings: int
    min_percent: float
    max_percent: float
    last_percent: float


def downsample_readings(*, older_than_days: int | None = None, now=None) -> int:
    """Summarize and delete the raw readings of every day before the cut-off.

    The cut-off is the start of the local day ``older_than_days`` (default
    ``settings.READINGS_RAW_DAYS``) before ``now``: only whole days are
    summarized. For each (device, day) one ``DailyFill`` row is written or, if
    one exists (readings delivered late), merged into; then those raw readings
    are deleted in the same transaction. The day that holds a device's newest
    reading stays raw, so the newest reading of every device survives (a
    silent sensor's last report) and is never counted twice. Idempotent: a
    second run finds nothing to do. Returns the number of readings deleted.
    """
    days = settings.READINGS_RAW_DAYS if older_than_days is None else older_than_days
    if days < 1:
        raise ValueError("older_than_days must be at least 1")
    now = now or timezone.now()
    cutoff = _day_start(timezone.localdate(now) - timedelta(days=days))
    device_ids = list(Device.objects.order_by("pk").values_list("pk", flat=True))
    deleted = 0
    for first in range(0, len(device_ids), DEVICES_PER_CHUNK):
        chunk = device_ids[first : first + DEVICES_PER_CHUNK]
        day = _first_day(chunk, after=None, before=cutoff)
        while day is not None:
            deleted += _downsample_day(chunk, day, cutoff)
            day = _first_day(
                chunk, after=_day_start(day + timedelta(days=1)), before=cutoff
            )
    return deleted


def _day_start(day) -> datetime:
    # zoneinfo resolves the wall-clock midnight, also on daylight-saving days.
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _first_day(chunk: list[int], *, after: datetime | None, before: datetime):
    """The local day of the chunk's oldest reading in [after, before), or None.

    One LIMIT 1 probe per device on the (device, measured_at) index: fast on
    every layout, where ORDER BY measured_at over the table would not be.
    """
    readings = Reading.objects.filter(device=OuterRef("pk"), measured_at__lt=before)
    if after is not None:
        readings = readings.filter(measured_at__gte=after)
    oldest = (
        Device.objects.filter(pk__in=chunk)
        .annotate(
            oldest=Subquery(readings.order_by("measured_at").values("measured_at")[:1])
        )
        .aggregate(first=Min("oldest"))["first"]
    )
    return None if oldest is None else timezone.localdate(oldest)


@transaction.atomic
def _downsample_day(chunk: list[int], day, cutoff: datetime) -> int:
    start = _day_start(day)
    end = min(_day_start(day + timedelta(days=1)), cutoff)
    rows = list(
        Reading.objects.filter(
            device_id__in=chunk, measured_at__gte=start, measured_at__lt=end
        )
        .order_by("device_id", "measured_at")
        .values_list("pk", "device_id", "bin_id", "fill_percent")
    )
    if not rows:
        return 0
    # A device with nothing after this day has its newest reading in it.
    later = Reading.objects.filter(device=OuterRef("pk"), measured_at__gte=end)
    reported_later = set(
        Device.objects.filter(pk__in={row[1] for row in rows})
        .filter(Exists(later))
        .values_list("pk", flat=True)
    )
    summaries, delete_ids = {}, []
    for pk, device_id, bin_id, fill in rows:
        if device_id not in reported_later:
            continue
        delete_ids.append(pk)
        summary = summaries.get(device_id)
        if summary is None:
            summaries[device_id] = _Day(bin_id, 1, fill, fill, fill)
        else:
            summary.bin_id, summary.readings = bin_id, summary.readings + 1
            summary.min_percent = min(summary.min_percent, fill)
            summary.max_percent = max(summary.max_percent, fill)
            summary.last_percent = fill
    if not summaries:
        return 0
    _save_days(summaries, day)
    count = 0
    for first in range(0, len(delete_ids), 500):
        count += Reading.objects.filter(
            pk__in=delete_ids[first : first + 500]
        ).delete()[0]
    return count


def _save_days(summaries: dict[int, _Day], day) -> None:
    """Upsert one DailyFill per device, merging into a row written before.

    A row that exists was written from readings delivered in time; late ones
    add to its count and range, and its last level stays the one seen then.
    """
    existing = {
        row.device_id: row
        for row in DailyFill.objects.select_for_update().filter(
            device_id__in=list(summaries), day=day
        )
    }
    rows = []
    for device_id, summary in summaries.items():
        before = existing.get(device_id)
        if before is not None:
            summary.readings += before.readings
            summary.min_percent = min(summary.min_percent, before.min_percent)
            summary.max_percent = max(summary.max_percent, before.max_percent)
            summary.last_percent = before.last_percent
            summary.bin_id = before.bin_id
        rows.append(
            DailyFill(
                device_id=device_id,
                bin_id=summary.bin_id,
                day=day,
                readings=summary.readings,
                min_percent=summary.min_percent,
                max_percent=summary.max_percent,
                last_percent=summary.last_percent,
            )
        )
    DailyFill.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["device", "day"],
        update_fields=[
            "bin",
            "readings",
            "min_percent",
            "max_percent",
            "last_percent",
        ],
    )
