"""The operators' admin: bins, sensors, vehicles, imports and the read-only tables."""

from datetime import UTC, datetime
from pathlib import Path

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.routing.models import Depot, Vehicle
from medborg.sensors.admin import CappedPaginator
from medborg.sensors.models import (
    Bin,
    Device,
    QuarantinedReading,
    Reading,
    Source,
)

BACKEND = "medborg.accounts.backends.StaffBackend"
FIXTURES = Path(__file__).with_name("fixtures")
BIN_IMPORT = reverse("admin:sensors_bin_import")


@pytest.fixture(autouse=True)
def _municipality(settings):
    settings.MUNICIPALITY_NAME = "Växjö kommun"


def log_in(client, role):
    user = UserFactory(username=f"staff-{role}", role=role, is_staff=True)
    client.force_login(user, backend=BACKEND)
    return user


@pytest.fixture
def operator(client, db):
    return log_in(client, "operator")


@pytest.fixture
def depot(db):
    return Depot.objects.create(
        code="vxo-depot", name="Norremark", latitude=56.87, longitude=14.78
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def bin_form(**changes):
    return {
        "code": "vxo-050",
        "name": "Västra torget",
        "latitude": "56.878",
        "longitude": "14.80",
        "active": "on",
        "fraction": "paper",
        "volume_litres": "370",
        "threshold_percent": "80",
        "area": "Centrum",
        "depot": "",
        "window_weekdays": ["0", "2", "4"],
        "window_start": "06:00",
        "window_end": "15:00",
        "round_weekday": "1",
        **changes,
    }


def upload(client, url, name, data=None):
    content = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def test_operator_adds_a_bin(client, operator):
    response = client.post(reverse("admin:sensors_bin_add"), bin_form())

    assert response.status_code == 302
    stored = Bin.objects.get()
    assert (stored.code, stored.window_weekdays, stored.round_weekday) == (
        "vxo-050",
        [0, 2, 4],
        1,
    )


def test_operator_changes_a_bin(client, operator):
    stored = Bin.objects.create(
        code="vxo-050", latitude=56.878, longitude=14.8, volume_litres=370
    )

    response = client.post(
        reverse("admin:sensors_bin_change", args=[stored.pk]),
        bin_form(threshold_percent="70", round_weekday=""),
    )

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.threshold_percent, stored.round_weekday) == (70, None)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"latitude": "59.33", "longitude": "18.06"},
            "latitude",
            "59.33, 18.06 is outside Växjö kommun.",
        ),
        (
            {"window_start": "15:00", "window_end": "06:00"},
            "window_end",
            "The window must end after it starts.",
        ),
    ],
)
def test_a_bin_form_refuses_a_place_outside_or_a_backward_window(
    client, operator, changes, field, error
):
    response = client.post(reverse("admin:sensors_bin_add"), bin_form(**changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert Bin.objects.count() == 0


def test_a_device_identifier_typed_in_is_normalised(client, operator):
    response = client.post(
        reverse("admin:sensors_device_add"),
        {
            "identifier": "70-b3-d5-7e-d0-01-02-03",
            "bin": "",
            "empty_distance_mm": "",
            "full_distance_mm": "",
        },
    )

    assert response.status_code == 302
    assert list(Device.objects.values_list("identifier", flat=True)) == [
        "70B3D57ED0010203"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "admin:sensors_bin_changelist",
        "admin:sensors_bin_add",
        "admin:sensors_bin_import",
        "admin:sensors_device_changelist",
        "admin:routing_vehicle_import",
        "admin:sensors_reading_changelist",
    ],
)
def test_a_caseworker_cannot_see_the_operators_pages(client, db, name):
    log_in(client, "caseworker")

    response = client.get(reverse(name))

    assert response.status_code == 403


def test_the_bin_list_links_to_the_import_page(client, operator):
    response = client.get(reverse("admin:sensors_bin_changelist"))

    assert response.status_code == 200
    assert f'href="{BIN_IMPORT}"'.encode() in response.content
    assert b"Import from CSV or GeoJSON" in response.content


def test_the_import_page_reports_refused_rows_and_writes_nothing(
    client, operator, depot
):
    response = upload(client, BIN_IMPORT, "bins.csv")

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.dry_run, report.created, report.updated) == (
        True,
        ["vxo-001", "vxo-002"],
        [],
    )
    assert [refusal.row for refusal in report.refused] == [4, 5, 6, 7, 8]
    content = response.content.decode()
    assert "There is no depot nowhere." in content
    assert "Line 5" in content
    assert "Import the accepted rows" in content
    assert Bin.objects.count() == 0


def test_confirming_the_import_writes_the_checked_rows(client, operator, depot):
    preview = upload(client, BIN_IMPORT, "bins.csv")

    response = client.post(BIN_IMPORT, {"payload": preview.context["payload"]})

    assert response.status_code == 302
    assert response.url == reverse("admin:sensors_bin_changelist")
    assert messages_of(response) == [
        "bins.csv imported: 2 created, 0 updated, 0 unchanged, 5 refused."
    ]
    assert list(Bin.objects.values_list("code", flat=True)) == ["vxo-001", "vxo-002"]


def test_a_tampered_confirmation_is_refused(client, operator, depot):
    preview = upload(client, BIN_IMPORT, "bins.csv")

    response = client.post(BIN_IMPORT, {"payload": preview.context["payload"] + "x"})

    assert response.status_code == 403
    assert Bin.objects.count() == 0


def test_an_unreadable_file_is_a_form_error(client, operator):
    response = upload(client, BIN_IMPORT, "bins.csv", b"code;colour\n")

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Unknown columns: colour. The columns are: code, name, latitude, longitude, "
        "fraction, volume_litres, threshold_percent, area, depot, window_days, "
        "window_start, window_end, round_day, active."
    ]
    assert "report" not in response.context


def test_vehicles_are_imported_from_their_list(client, operator, depot):
    url = reverse("admin:routing_vehicle_import")
    preview = upload(client, url, "vehicles.csv")
    assert preview.context["report"].created == ["truck-1", "truck-2"]

    client.post(url, {"payload": preview.context["payload"]})

    assert list(Vehicle.objects.values_list("code", flat=True)) == [
        "truck-1",
        "truck-2",
    ]


def test_devices_are_imported_from_their_list(client, operator, depot):
    Bin.objects.create(code="vxo-001", latitude=56.88, longitude=14.8, volume_litres=1)
    url = reverse("admin:sensors_device_import")

    preview = upload(client, url, "devices.csv")

    assert preview.context["report"].created == ["70B3D57ED0010203"]
    assert Device.objects.count() == 0


@pytest.fixture
def reading(db):
    stored = Bin.objects.create(
        code="vxo-001", latitude=56.88, longitude=14.8, volume_litres=240
    )
    device = Device.objects.create(identifier="70B3D57ED0010203", bin=stored)
    at = datetime(2026, 11, 2, 8, tzinfo=UTC)
    return Reading.objects.create(
        device=device,
        bin=stored,
        measured_at=at,
        received_at=at,
        fill_percent=42,
        source=Source.HTTP,
    )


def test_readings_are_listed_but_not_added_or_changed(client, operator, reading):
    listed = client.get(reverse("admin:sensors_reading_changelist"))
    add = client.get(reverse("admin:sensors_reading_add"))
    change = client.post(
        reverse("admin:sensors_reading_change", args=[reading.pk]),
        {"fill_percent": "10"},
    )

    assert listed.status_code == 200
    assert listed.context["cl"].show_full_result_count is False
    assert add.status_code == 403
    assert change.status_code == 403
    reading.refresh_from_db()
    assert reading.fill_percent == 42


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("?bin=vxo-001", 1),
        ("?bin=vxo-002", 0),
        ("?device=70-b3-d5-7e-d0-01-02-03", 1),
        ("?measured_at__year=2026&measured_at__month=11", 1),
        ("?measured_at__year=2025", 0),
    ],
)
def test_readings_are_filtered_by_bin_device_and_date(
    client, operator, reading, query, count
):
    response = client.get(reverse("admin:sensors_reading_changelist") + query)

    assert response.status_code == 200
    assert response.context["cl"].result_count == count


def test_operators_read_and_delete_quarantined_readings(client, operator):
    quarantined = QuarantinedReading.objects.create(
        received_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
        source=Source.MQTT,
        device_identifier="FFFF000000000001",
        reason=QuarantinedReading.Reason.UNKNOWN_DEVICE,
        payload={"device": "FFFF000000000001", "fill": 40},
    )
    change_url = reverse(
        "admin:sensors_quarantinedreading_change", args=[quarantined.pk]
    )

    shown = client.get(change_url)
    deleted = client.post(
        reverse("admin:sensors_quarantinedreading_delete", args=[quarantined.pk]),
        {"post": "yes"},
    )

    assert shown.status_code == 200
    assert "&quot;fill&quot;: 40" in shown.content.decode()
    assert deleted.status_code == 302
    assert QuarantinedReading.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "admin:sensors_bincase_changelist",
        "admin:routing_routeplan_changelist",
        "admin:routing_route_changelist",
        "admin:routing_stop_changelist",
    ],
)
def test_operators_see_cases_and_plans_read_only(client, operator, name):
    listed = client.get(reverse(name))
    add = client.get(reverse(name.replace("changelist", "add")))

    assert listed.status_code == 200
    assert add.status_code == 403


def test_the_reading_list_counts_at_most_its_cap(
    client, operator, reading, monkeypatch
):
    monkeypatch.setattr(CappedPaginator, "cap", 1)
    Reading.objects.create(
        device=reading.device,
        bin=reading.bin,
        measured_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        received_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        fill_percent=44,
        source=Source.HTTP,
    )

    response = client.get(reverse("admin:sensors_reading_changelist"))

    assert response.context["cl"].paginator.count == 1


def test_only_drivers_are_offered_as_a_vehicles_driver(client, operator, depot):
    driver = UserFactory(username="driver-anna", role="driver")
    UserFactory(username="caseworker-bo", role="caseworker")

    response = client.get(reverse("admin:routing_vehicle_add"))

    field = response.context["adminform"].form.fields["driver"]
    assert list(field.queryset) == [driver]
