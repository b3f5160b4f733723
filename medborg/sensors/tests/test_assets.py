"""Importing bins, sensors and vehicles: upsert by identifier, atomic, dry runs."""

from datetime import time
from pathlib import Path

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.management import CommandError, call_command

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.routing.models import Depot, Vehicle
from medborg.sensors import imports
from medborg.sensors.imports import Refusal
from medborg.sensors.models import Bin, Device
from medborg.sensors.services.assets import (
    import_bins,
    import_devices,
    import_vehicles,
)

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(autouse=True)
def _municipality(settings):
    settings.MUNICIPALITY_NAME = "Växjö kommun"


@pytest.fixture
def depot(db):
    return Depot.objects.create(
        code="vxo-depot", name="Norremark", latitude=56.87, longitude=14.78
    )


def parsed(kind, name):
    return imports.parse(kind, (FIXTURES / name).read_bytes(), name=name)


def run(importer, kind, name, **kwargs):
    result = parsed(kind, name)
    return importer(records=result.records, refused=result.refused, **kwargs)


def bins_snapshot():
    return list(Bin.objects.values_list("code", "name", "threshold_percent", "depot"))


def test_import_bins_creates_the_good_rows_and_reports_the_rest(depot):
    report = run(import_bins, "bins", "bins.csv")

    assert (report.created, report.updated, report.unchanged) == (
        ["vxo-001", "vxo-002"],
        [],
        [],
    )
    assert [(refusal.row, refusal.reasons) for refusal in report.refused] == [
        (4, ("There is no depot nowhere.",)),
        (5, ("59.3326, 18.0649 is outside Växjö kommun.",)),
        (6, ("15:00 (window_start) is not before 06:00 (window_end).",)),
        (7, ("vxo-001 appears already on line 2.",)),
        (
            8,
            (
                "“plastic” in fraction is not one of residual, packaging, paper, "
                "glass, organic.",
                "“25:00” in window_end is not a time such as 06:00.",
            ),
        ),
    ]
    stored = Bin.objects.get(code="vxo-002")
    assert (
        stored.name,
        stored.fraction,
        stored.volume_litres,
        stored.threshold_percent,
        stored.depot,
        stored.window_weekdays,
        stored.window_start,
        stored.window_end,
        stored.round_weekday,
    ) == (
        "Linnéparken",
        "packaging",
        660,
        75,
        depot,
        [0, 2, 4],
        time(7),
        time(14),
        None,
    )


def test_importing_the_same_file_again_changes_nothing(depot):
    run(import_bins, "bins", "bins.csv")
    before = bins_snapshot()

    report = run(import_bins, "bins", "bins.csv")

    assert (report.created, report.updated, report.unchanged) == (
        [],
        [],
        ["vxo-001", "vxo-002"],
    )
    assert bins_snapshot() == before


def test_a_known_code_is_updated_with_what_the_file_says(depot):
    Bin.objects.create(
        code="vxo-001",
        name="Old name",
        latitude=56.88,
        longitude=14.80,
        volume_litres=140,
        threshold_percent=90,
    )

    report = run(import_bins, "bins", "bins.csv")

    assert (report.created, report.updated) == (["vxo-002"], ["vxo-001"])
    stored = Bin.objects.get(code="vxo-001")
    assert (stored.name, stored.volume_litres, stored.threshold_percent) == (
        "Stortorget",
        240,
        80,
    )
    assert Bin.objects.count() == 2


def test_a_dry_run_reports_the_same_and_writes_nothing(depot):
    Bin.objects.create(
        code="vxo-001", name="Old name", latitude=56.88, longitude=14.8, volume_litres=1
    )
    before = bins_snapshot()

    report = run(import_bins, "bins", "bins.csv", dry_run=True)

    assert report.dry_run is True
    assert (report.created, report.updated, len(report.refused)) == (
        ["vxo-002"],
        ["vxo-001"],
        5,
    )
    assert bins_snapshot() == before
    assert LogEntry.objects.count() == 0


def test_an_import_by_a_user_is_in_the_admin_history(depot):
    user = UserFactory()
    Bin.objects.create(
        code="vxo-001", name="Old name", latitude=56.88, longitude=14.8, volume_litres=1
    )

    run(import_bins, "bins", "bins.csv", by=user)

    assert sorted(
        LogEntry.objects.values_list("object_repr", "action_flag", "user")
    ) == [("Linnéparken", ADDITION, user.pk), ("Stortorget", CHANGE, user.pk)]


def test_bins_from_geojson(depot):
    report = run(import_bins, "bins", "bins.geojson")

    assert report.created == ["vxo-101", "vxo-102"]
    assert [refusal.label for refusal in report.refused] == ["Feature 3", "Feature 4"]
    assert list(Bin.objects.values_list("code", "active", "depot")) == [
        ("vxo-101", True, depot.pk),
        ("vxo-102", False, None),
    ]


@pytest.fixture
def bins(depot):
    return [
        Bin.objects.create(code=code, latitude=56.88, longitude=14.8, volume_litres=240)
        for code in ("vxo-001", "vxo-002")
    ]


def test_import_devices_places_each_in_its_bin(bins):
    report = run(import_devices, "devices", "devices.csv")

    assert report.created == ["70B3D57ED0010203", "A0B1C2D3E4F50607"]
    assert [(refusal.row, refusal.reasons) for refusal in report.refused] == [
        (4, ("There is no bin vxo-999.",)),
        (
            5,
            (
                "full_distance_mm (200) must be less than empty_distance_mm (100): "
                "the sensor is closer to the waste when the bin is full.",
            ),
        ),
        (6, ("70B3D57ED0010203 appears already on line 2.",)),
    ]
    assert list(
        Device.objects.values_list(
            "identifier", "bin__code", "empty_distance_mm", "full_distance_mm"
        )
    ) == [
        ("70B3D57ED0010203", "vxo-001", 1200, 150),
        ("A0B1C2D3E4F50607", "vxo-002", None, None),
    ]


def test_a_device_import_keeps_what_readings_wrote_and_can_empty_the_bin(bins):
    Device.objects.create(
        identifier="70B3D57ED0010203", bin=bins[0], battery_percent=71
    )
    data = b"identifier,bin\n70-b3-d5-7e-d0-01-02-03,\n"
    result = imports.parse("devices", data, name="devices.csv")

    report = import_devices(records=result.records)

    assert report.updated == ["70B3D57ED0010203"]
    device = Device.objects.get()
    assert (device.bin, device.battery_percent) == (None, 71)


def test_import_vehicles_at_their_depots(depot):
    report = run(import_vehicles, "vehicles", "vehicles.csv")

    assert report.created == ["truck-1", "truck-2"]
    assert [refusal.row for refusal in report.refused] == [4, 5]
    assert report.refused[0].reasons == ("There is no depot nowhere.",)
    assert list(
        Vehicle.objects.values_list(
            "code", "depot", "capacity_litres", "capacity_kg", "fractions"
        )
    ) == [
        ("truck-1", depot.pk, 20000, 9000, ["residual", "packaging"]),
        (
            "truck-2",
            depot.pk,
            16000,
            8000,
            ["residual", "packaging", "paper", "glass", "organic"],
        ),
    ]


def test_the_command_prints_the_report_and_fails_on_refused_rows(depot, capsys):
    with pytest.raises(CommandError) as failed:
        call_command("import_assets", "bins", str(FIXTURES / "bins.csv"))

    assert failed.value.returncode == 1
    assert str(failed.value) == "5 row(s) refused; fix them and import again."
    assert capsys.readouterr().out.splitlines() == [
        "created: 2 (vxo-001, vxo-002)",
        "updated: 0",
        "unchanged: 0",
        "refused: 5",
        "  Line 4: There is no depot nowhere.",
        "  Line 5: 59.3326, 18.0649 is outside Växjö kommun.",
        "  Line 6: 15:00 (window_start) is not before 06:00 (window_end).",
        "  Line 7: vxo-001 appears already on line 2.",
        "  Line 8: “plastic” in fraction is not one of residual, packaging, paper, "
        "glass, organic. “25:00” in window_end is not a time such as 06:00.",
    ]
    assert Bin.objects.count() == 2


def test_the_command_dry_run_writes_nothing(depot, capsys):
    with pytest.raises(CommandError):
        call_command("import_assets", "bins", str(FIXTURES / "bins.csv"), "--dry-run")

    assert capsys.readouterr().out.splitlines()[:2] == [
        "Dry run: nothing was written.",
        "created: 2 (vxo-001, vxo-002)",
    ]
    assert Bin.objects.count() == 0


def test_the_command_succeeds_on_a_clean_file(depot, tmp_path, capsys):
    clean = tmp_path / "vehicles.csv"
    clean.write_text(
        "code,name,depot,capacity_litres,capacity_kg\ntruck-9,Bil 9,vxo-depot,1,1\n"
    )

    call_command("import_assets", "vehicles", str(clean))

    assert capsys.readouterr().out.splitlines() == [
        "created: 1 (truck-9)",
        "updated: 0",
        "unchanged: 0",
        "refused: 0",
    ]
    assert list(Vehicle.objects.values_list("code", flat=True)) == ["truck-9"]


def test_the_command_refuses_an_unreadable_file(db, tmp_path):
    bad = tmp_path / "bins.csv"
    bad.write_bytes(b"code,colour\n")

    with pytest.raises(CommandError) as failed:
        call_command("import_assets", "bins", str(bad))

    assert str(failed.value).endswith(
        "bins.csv: Unknown columns: colour. The columns are: code, name, latitude, "
        "longitude, fraction, volume_litres, threshold_percent, area, depot, "
        "window_days, window_start, window_end, round_day, active."
    )
    assert Bin.objects.count() == 0


def test_refusals_are_sorted_by_row(depot):
    result = parsed("bins", "bins.csv")

    report = import_bins(records=result.records, refused=result.refused)

    assert report.refused == sorted(report.refused, key=lambda r: r.row)
    assert isinstance(report.refused[0], Refusal)
