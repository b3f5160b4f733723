"""Reading asset files: every row a record or a refusal with its line and why."""

from datetime import time
from pathlib import Path

import pytest

from medborg.sensors import imports
from medborg.sensors.imports import BinRecord, Refusal

FIXTURES = Path(__file__).with_name("fixtures")
BIN_HEADER = (
    "code,name,latitude,longitude,fraction,volume_litres,threshold_percent,area,"
    "depot,window_days,window_start,window_end,round_day,active\n"
)


@pytest.fixture(autouse=True)
def _municipality(settings):
    settings.MUNICIPALITY_NAME = "Växjö kommun"


def parse_fixture(kind, name):
    return imports.parse(kind, (FIXTURES / name).read_bytes(), name=name)


def bins_csv(*rows: str, header: str = BIN_HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


def test_bins_csv_reads_the_good_rows_with_defaults():
    parsed = parse_fixture("bins", "bins.csv")

    assert [record.row for record in parsed.records] == [2, 3, 4]
    assert parsed.records[0] == BinRecord(
        row=2,
        code="vxo-001",
        name="Stortorget",
        latitude=56.879,
        longitude=14.8059,
        fraction="residual",
        volume_litres=240,
        threshold_percent=80,
        area="Centrum",
        depot="vxo-depot",
        window_weekdays=[0, 1, 2, 3, 4],
        window_start=time(6),
        window_end=time(15),
        round_weekday=1,
        active=True,
    )
    second = parsed.records[1]
    assert (second.window_weekdays, second.round_weekday, second.active) == (
        [0, 2, 4],
        None,
        True,
    )


def test_bins_csv_refuses_bad_rows_with_line_and_every_reason():
    parsed = parse_fixture("bins", "bins.csv")

    assert parsed.refused == [
        Refusal(5, ("59.3326, 18.0649 is outside Växjö kommun.",)),
        Refusal(6, ("15:00 (window_start) is not before 06:00 (window_end).",)),
        Refusal(7, ("vxo-001 appears already on line 2.",)),
        Refusal(
            8,
            (
                "“plastic” in fraction is not one of residual, packaging, paper, "
                "glass, organic.",
                "“25:00” in window_end is not a time such as 06:00.",
            ),
        ),
    ]
    assert str(parsed.refused[0]) == (
        "Line 5: 59.3326, 18.0649 is outside Växjö kommun."
    )


def test_bins_geojson_takes_the_place_from_the_point():
    parsed = parse_fixture("bins", "bins.geojson")

    assert [(r.code, r.latitude, r.longitude) for r in parsed.records] == [
        ("vxo-101", 56.879, 14.8059),
        ("vxo-102", 56.877, 14.809),
    ]
    assert parsed.records[1].active is False
    assert parsed.records[1].threshold_percent == 70
    assert parsed.refused == [
        Refusal(
            3,
            ("The geometry is not a Point with longitude and latitude.",),
            "feature",
        ),
        Refusal(4, ("threshold_percent is 120; it must be from 1 to 100.",), "feature"),
    ]
    assert parsed.refused[0].label == "Feature 3"


def test_semicolons_decimal_commas_and_a_byte_order_mark_are_read():
    header = BIN_HEADER.replace(",", ";")
    data = "\ufeff" + header + "vxo-9;Torget;56,879;14,806;glass;1000;90;;;;;;;nej\n"

    parsed = imports.parse("bins", data.encode(), name="export.csv")

    assert parsed.refused == []
    record = parsed.records[0]
    assert (record.latitude, record.longitude, record.fraction, record.active) == (
        56.879,
        14.806,
        "glass",
        False,
    )


@pytest.mark.parametrize(
    ("days", "weekdays"),
    [
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("mon,wed,fri", [0, 2, 4]),
        ("Tue Thu", [1, 3]),
        ("mån-ons", [0, 1, 2]),
        ("lør,søn", [5, 6]),
        ("", [0, 1, 2, 3, 4]),
    ],
)
def test_window_days_are_read_in_english_swedish_and_danish(days, weekdays):
    row = f'vxo-9,,56.879,14.806,,240,,,,"{days}",,,,'

    parsed = imports.parse("bins", bins_csv(row), name="bins.csv")

    assert parsed.records[0].window_weekdays == weekdays


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "vxo-9,,56.879,14.806,,240,,,,fri-mon,,,,",
            "The days “fri-mon” in window_days run backwards.",
        ),
        (
            "vxo-9,,56.879,14.806,,240,,,,mon-fri,,,someday,",
            "“someday” in round_day is not a day such as mon or tue.",
        ),
        (
            "vxo-9,,56.879,14.806,,240,,,,,24:00,,,",
            "“24:00” in window_start is not a time such as 06:00.",
        ),
        (
            "vxo-9,,north,14.806,,240,,,,,,,,",
            "“north” in latitude is not a number.",
        ),
        (
            "vxo-9,,91,14.806,,240,,,,,,,,",
            "latitude is 91; it must be from -90 to 90.",
        ),
        (
            "vxo-9,,56.879,14.806,,0.5,,,,,,,,",
            "“0.5” in volume_litres is not a whole number.",
        ),
        ("vxo-9,,56.879,14.806,,,,,,,,,,", "volume_litres is empty."),
        (
            "Bin 9,,56.879,14.806,,240,,,,,,,,",
            "“Bin 9” in code is not an identifier: use at most 40 letters a–z, "
            "digits, hyphens and underscores.",
        ),
        (
            "vxo-9,,56.879,14.806,,240,,,,,,,,maybe",
            "“maybe” in active is neither yes nor no.",
        ),
        (
            "vxo-9,,56.879,14.806,,240,,,,,,,,,extra",
            "The row has more cells than the header has columns.",
        ),
    ],
)
def test_a_bad_cell_is_refused_with_a_precise_reason(cells, reason):
    parsed = imports.parse("bins", bins_csv(cells), name="bins.csv")

    assert parsed.records == []
    assert parsed.refused == [Refusal(2, (reason,))]


def test_the_boundary_check_is_the_one_given():
    row = "vxo-9,,56.879,14.806,,240,,,,,,,,"

    parsed = imports.parse(
        "bins", bins_csv(row), name="bins.csv", inside=lambda lat, lon: False
    )

    assert parsed.refused == [Refusal(2, ("56.879, 14.806 is outside Växjö kommun.",))]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("70-b3-d5-7e-d0-01-02-03", "70B3D57ED0010203"),
        ("70:B3:D5:7E:D0:01:02:03", "70B3D57ED0010203"),
        ("70 b3 d5 7e d0 01 02 03", "70B3D57ED0010203"),
        ("70b3d57ed0010203", "70B3D57ED0010203"),
        ("sensor-17", "sensor-17"),
        ("70b3d57ed00102", "70b3d57ed00102"),
    ],
)
def test_a_dev_eui_is_normalised_to_sixteen_upper_hex_digits(written, stored):
    assert imports.normalise_identifier(written) == stored


def test_devices_csv_refuses_calibration_and_duplicate_identifiers():
    parsed = parse_fixture("devices", "devices.csv")

    assert [(r.identifier, r.bin) for r in parsed.records] == [
        ("70B3D57ED0010203", "vxo-001"),
        ("A0B1C2D3E4F50607", "vxo-002"),
        ("70B3D57ED0010204", "vxo-999"),
    ]
    assert parsed.refused == [
        Refusal(
            5,
            (
                "full_distance_mm (200) must be less than empty_distance_mm (100): "
                "the sensor is closer to the waste when the bin is full.",
            ),
        ),
        Refusal(6, ("70B3D57ED0010203 appears already on line 2.",)),
    ]


def test_a_device_needs_both_distances_or_neither():
    data = b"identifier,empty_distance_mm,full_distance_mm\nsensor-1,1200,\n"

    parsed = imports.parse("devices", data, name="devices.csv")

    assert parsed.refused == [
        Refusal(2, ("Give both empty_distance_mm and full_distance_mm, or neither.",))
    ]


def test_vehicles_csv_from_swedish_excel():
    parsed = parse_fixture("vehicles", "vehicles.csv")

    assert [(r.code, r.fractions) for r in parsed.records] == [
        ("truck-1", ["residual", "packaging"]),
        ("truck-2", ["residual", "packaging", "paper", "glass", "organic"]),
        ("truck-3", ["residual", "packaging", "paper", "glass", "organic"]),
    ]
    assert (parsed.records[1].shift_start, parsed.records[1].shift_end) == (
        time(6),
        time(15),
    )
    assert parsed.refused == [
        Refusal(
            5,
            (
                "14:00 (shift_start) is not before 06:00 (shift_end).",
                "“metal” in fractions is not one of residual, packaging, paper, "
                "glass, organic.",
                "capacity_litres is 0; it must be at least 1.",
            ),
        )
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            "code,volume\n".encode("utf-16"),
            "bins.csv",
            "The file is not UTF-8. In Excel, save it as “CSV UTF-8 (comma "
            "delimited)”.",
        ),
        (b"", "bins.csv", "The file is empty."),
        (
            b"code,latitude,longitude,volume_litres,treshold_percent\n",
            "bins.csv",
            "Unknown columns: treshold_percent. The columns are: code, name, "
            "latitude, longitude, fraction, volume_litres, threshold_percent, area, "
            "depot, window_days, window_start, window_end, round_day, active.",
        ),
        (
            b"code,name\n",
            "bins.csv",
            "Missing columns: latitude, longitude, volume_litres.",
        ),
        (
            b'{"type": "Feature"}',
            "bins.geojson",
            "The file is not a GeoJSON FeatureCollection.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, name, message):
    with pytest.raises(imports.FileRefused) as refused:
        imports.parse("bins", data, name=name)

    assert str(refused.value) == message
