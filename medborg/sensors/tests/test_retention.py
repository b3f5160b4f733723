from datetime import UTC, date, datetime, timedelta

import pytest

from medborg.sensors.models import Bin, DailyFill, Device, Reading, Source
from medborg.sensors.services import retention
from medborg.sensors.services.retention import downsample_readings

pytestmark = pytest.mark.django_db

# Noon in Stockholm on 1 June 2026 (summer time, UTC+2).
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _stockholm(settings):
    settings.TIME_ZONE = "Europe/Stockholm"
    settings.READINGS_RAW_DAYS = 30


def make_device(code: str = "bin-1") -> Device:
    bin_ = Bin.objects.create(
        code=code, latitude=59.3, longitude=18.0, volume_litres=240
    )
    return Device.objects.create(identifier=f"dev-{code}", bin=bin_)


def read(device: Device, at: datetime, fill: float) -> Reading:
    return Reading.objects.create(
        device=device,
        bin=device.bin,
        measured_at=at,
        received_at=at,
        fill_percent=fill,
        source=Source.MQTT,
    )


def summaries() -> list[tuple]:
    return list(
        DailyFill.objects.order_by("device_id", "day").values_list(
            "device__identifier",
            "bin__code",
            "day",
            "readings",
            "min_percent",
            "max_percent",
            "last_percent",
        )
    )


def test_summarizes_each_old_day_and_deletes_its_readings():
    device = make_device()
    old = datetime(2026, 4, 10, 6, 0, tzinfo=UTC)
    for hours, fill in ((0, 40.0), (4, 70.0), (8, 55.0)):
        read(device, old + timedelta(hours=hours), fill)
    read(device, old + timedelta(days=1), 60.0)
    recent = read(device, NOW - timedelta(days=1), 20.0)

    deleted = downsample_readings(now=NOW)

    assert deleted == 4
    assert summaries() == [
        ("dev-bin-1", "bin-1", date(2026, 4, 10), 3, 40.0, 70.0, 55.0),
        ("dev-bin-1", "bin-1", date(2026, 4, 11), 1, 60.0, 60.0, 60.0),
    ]
    assert list(Reading.objects.values_list("pk", flat=True)) == [recent.pk]


def test_keeps_readings_from_the_cutoff_day_on_raw():
    device = make_device()
    # 30 days before 1 June is 2 May: 23:30 on 1 May goes, 00:30 on 2 May stays.
    read(device, datetime(2026, 5, 1, 21, 30, tzinfo=UTC), 30.0)
    on_cutoff_day = read(device, datetime(2026, 5, 1, 22, 30, tzinfo=UTC), 30.0)
    newest = read(device, NOW, 35.0)

    assert downsample_readings(now=NOW) == 1
    assert [row[2:4] for row in summaries()] == [(date(2026, 5, 1), 1)]
    assert sorted(Reading.objects.values_list("pk", flat=True)) == [
        on_cutoff_day.pk,
        newest.pk,
    ]


def test_days_are_the_municipality_local_days():
    device = make_device()
    # 23:30 and 00:30 Stockholm time on either side of local midnight.
    read(device, datetime(2026, 4, 10, 21, 30, tzinfo=UTC), 10.0)
    read(device, datetime(2026, 4, 10, 22, 30, tzinfo=UTC), 20.0)
    read(device, NOW, 25.0)

    assert downsample_readings(now=NOW) == 2
    assert [row[2:4] for row in summaries()] == [
        (date(2026, 4, 10), 1),
        (date(2026, 4, 11), 1),
    ]


def test_keeps_the_day_of_a_silent_devices_newest_reading():
    device = make_device()
    read(device, datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 50.0)
    last_day = [
        read(device, datetime(2026, 3, 3, 8, 0, tzinfo=UTC), 60.0),
        read(device, datetime(2026, 3, 3, 12, 0, tzinfo=UTC), 65.0),
    ]

    assert downsample_readings(now=NOW) == 1
    assert summaries() == [
        ("dev-bin-1", "bin-1", date(2026, 3, 2), 1, 50.0, 50.0, 50.0)
    ]
    assert sorted(Reading.objects.values_list("pk", flat=True)) == [
        reading.pk for reading in last_day
    ]


def test_running_twice_changes_nothing_the_second_time():
    device = make_device()
    for day in range(5):
        read(device, datetime(2026, 3, 1 + day, 9, 0, tzinfo=UTC), 10.0 * day)
    read(device, NOW, 0.0)
    assert downsample_readings(now=NOW) == 5
    before = summaries()

    assert downsample_readings(now=NOW) == 0
    assert summaries() == before
    assert Reading.objects.count() == 1


def test_a_late_reading_merges_into_its_day():
    device = make_device()
    read(device, datetime(2026, 3, 5, 9, 0, tzinfo=UTC), 40.0)
    read(device, datetime(2026, 3, 5, 15, 0, tzinfo=UTC), 50.0)
    read(device, NOW, 0.0)
    downsample_readings(now=NOW)
    read(device, datetime(2026, 3, 5, 12, 0, tzinfo=UTC), 90.0)

    assert downsample_readings(now=NOW) == 1
    assert summaries() == [
        ("dev-bin-1", "bin-1", date(2026, 3, 5), 3, 40.0, 90.0, 50.0)
    ]


def test_the_argument_overrides_the_setting():
    device = make_device()
    read(device, NOW - timedelta(days=10), 10.0)
    read(device, NOW, 20.0)

    assert downsample_readings(now=NOW) == 0
    assert downsample_readings(older_than_days=5, now=NOW) == 1
    assert [row[2:4] for row in summaries()] == [(date(2026, 5, 22), 1)]


def test_works_through_devices_in_slices(monkeypatch):
    monkeypatch.setattr(retention, "DEVICES_PER_CHUNK", 2)
    devices = [make_device(f"bin-{n}") for n in range(5)]
    for device in devices:
        read(device, datetime(2026, 2, 1, 9, 0, tzinfo=UTC), 33.0)
        read(device, datetime(2026, 2, 3, 9, 0, tzinfo=UTC), 44.0)
        read(device, NOW, 1.0)

    assert downsample_readings(now=NOW) == 10
    assert DailyFill.objects.count() == 10
    assert Reading.objects.count() == 5


def test_refuses_a_period_under_one_day():
    device = make_device()
    read(device, NOW - timedelta(days=3), 10.0)

    with pytest.raises(ValueError, match="at least 1"):
        downsample_readings(older_than_days=0, now=NOW)
    assert Reading.objects.count() == 1
    assert DailyFill.objects.count() == 0
