"""Read bins, sensors and vehicles from CSV or GeoJSON files into clean records.

Pure: no database. Every row either becomes a record or is refused with its
line (CSV, counting the header as line 1) or feature number (GeoJSON, from 1)
and every reason, so a file can be fixed in one pass. References to depots and
bins are checked by ``services.assets``, which knows what exists.

A problem with the whole file (not UTF-8, unknown or missing columns, not a
GeoJSON FeatureCollection) raises ``FileRefused``: no row is read.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time

from django.conf import settings
from django.utils.translation import gettext as _

from medborg import municipality
from medborg.sensors.models import Fraction

KINDS = ("bins", "devices", "vehicles")
COLUMNS = {
    "bins": (
        "code",
        "name",
        "latitude",
        "longitude",
        "fraction",
        "volume_litres",
        "threshold_percent",
        "area",
        "depot",
        "window_days",
        "window_start",
        "window_end",
        "round_day",
        "active",
    ),
    "devices": ("identifier", "bin", "empty_distance_mm", "full_distance_mm"),
    "vehicles": (
        "code",
        "name",
        "depot",
        "capacity_litres",
        "capacity_kg",
        "shift_start",
        "shift_end",
        "fractions",
    ),
}
REQUIRED = {
    "bins": ("code", "latitude", "longitude", "volume_litres"),
    "devices": ("identifier",),
    "vehicles": ("code", "depot", "capacity_litres", "capacity_kg"),
}
DEFAULT_THRESHOLD = 80
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)
DEFAULT_WINDOW = (time(6), time(15))
# English, Swedish and Danish day names, so a file typed locally reads as is.
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday", "mån", "måndag", "man", "mandag"),
            ("tue", "tuesday", "tis", "tisdag", "tir", "tirsdag"),
            ("wed", "wednesday", "ons", "onsdag"),
            ("thu", "thursday", "tor", "torsdag"),
            ("fri", "friday", "fre", "fredag"),
            ("sat", "saturday", "lör", "lördag", "lør", "lørdag"),
            ("sun", "sunday", "sön", "söndag", "søn", "søndag"),
        ]
    )
    for name in names
}
TRUE = {"1", "true", "yes", "y", "ja", "j", "x"}
FALSE = {"0", "false", "no", "n", "nej"}
CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
# A LoRaWAN DevEUI: eight bytes, written with or without separators.
DEV_EUI = re.compile(r"^[0-9a-fA-F]{2}([-: ]?[0-9a-fA-F]{2}){7}$")
MAX_TEXT = {"name": 120, "area": 80, "identifier": 64}


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Refusal:
    row: int
    reasons: tuple[str, ...]
    unit: str = "line"

    @property
    def label(self) -> str:
        if self.unit == "feature":
            return _("Feature %(number)d") % {"number": self.row}
        return _("Line %(number)d") % {"number": self.row}

    def __str__(self):
        return f"{self.label}: {' '.join(self.reasons)}"


@dataclass(frozen=True, kw_only=True)
class Record:
    row: int
    unit: str = "line"


@dataclass(frozen=True, kw_only=True)
class BinRecord(Record):
    code: str
    name: str
    latitude: float
    longitude: float
    fraction: str
    volume_litres: int
    threshold_percent: int
    area: str
    depot: str
    window_weekdays: list[int]
    window_start: time
    window_end: time
    round_weekday: int | None
    active: bool


@dataclass(frozen=True, kw_only=True)
class DeviceRecord(Record):
    identifier: str
    bin: str
    empty_distance_mm: int | None
    full_distance_mm: int | None


@dataclass(frozen=True, kw_only=True)
class VehicleRecord(Record):
    code: str
    name: str
    depot: str
    capacity_litres: int
    capacity_kg: int
    shift_start: time
    shift_end: time
    fractions: list[str]


@dataclass
class Parsed:
    records: list[Record] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class Row:
    """One row's cells, collecting every problem instead of stopping at the first."""

    def __init__(self, cells: dict[str, str], *, required: tuple[str, ...] = ()):
        self.cells = {key: (value or "").strip() for key, value in cells.items()}
        self.required = required
        self.problems: list[str] = []

    def refuse(self, message: str, **params) -> None:
        self.problems.append(message % params)

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.refuse(_("%(column)s is empty."), column=column)
        elif len(value) > MAX_TEXT.get(column, 10_000):
            self.refuse(
                _("%(column)s is longer than %(limit)d characters."),
                column=column,
                limit=MAX_TEXT[column],
            )
        return value

    def code(self, column: str, *, required: bool = True) -> str:
        value = self.text(column, required=required)
        if value and not CODE.match(value):
            self.refuse(
                _(
                    "“%(value)s” in %(column)s is not an identifier: use at most 40 "
                    "letters a–z, digits, hyphens and underscores."
                ),
                value=value,
                column=column,
            )
        return value

    def number(self, column, *, cast, low=None, high=None, default=None):
        value = self.cells.get(column, "")
        if not value:
            if default is None and column in self.required:
                self.refuse(_("%(column)s is empty."), column=column)
            return default
        # Swedish and Danish spreadsheets write a decimal comma.
        try:
            number = cast(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            kind = _("a whole number") if cast is int else _("a number")
            self.refuse(
                _("“%(value)s” in %(column)s is not %(kind)s."),
                value=value,
                column=column,
                kind=kind,
            )
            return default
        if high is not None and not low <= number <= high:
            self.refuse(
                _("%(column)s is %(value)s; it must be from %(low)s to %(high)s."),
                column=column,
                value=value,
                low=low,
                high=high,
            )
        elif low is not None and number < low:
            self.refuse(
                _("%(column)s is %(value)s; it must be at least %(low)s."),
                column=column,
                value=value,
                low=low,
            )
        return number

    def time(self, column: str, default: time) -> time:
        value = self.cells.get(column, "")
        if not value:
            return default
        match = TIME.match(value)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return time(int(match[1]), int(match[2]))
        self.refuse(
            _("“%(value)s” in %(column)s is not a time such as 06:00."),
            value=value,
            column=column,
        )
        return default

    def weekday(self, name: str, column: str) -> int | None:
        number = WEEKDAYS.get(name.strip().lower())
        if number is None:
            self.refuse(
                _("“%(value)s” in %(column)s is not a day such as mon or tue."),
                value=name.strip(),
                column=column,
            )
        return number

    def weekdays(self, column: str) -> list[int]:
        value = self.cells.get(column, "")
        if not value:
            return list(DEFAULT_WEEKDAYS)
        days: set[int] = set()
        for part in re.split(r"[,;/ ]+", value):
            first, dash, last = part.partition("-")
            start = self.weekday(first, column)
            end = self.weekday(last, column) if dash else start
            if start is None or end is None:
                continue
            if end < start:
                self.refuse(
                    _("The days “%(value)s” in %(column)s run backwards."),
                    value=part,
                    column=column,
                )
                continue
            days.update(range(start, end + 1))
        return sorted(days)

    def flag(self, column: str) -> bool:
        value = self.cells.get(column, "").lower()
        if not value or value in TRUE:
            return True
        if value not in FALSE:
            self.refuse(
                _("“%(value)s” in %(column)s is neither yes nor no."),
                value=self.cells[column],
                column=column,
            )
        return False

    def span(self, start: time, end: time, columns: tuple[str, str]) -> None:
        if start >= end:
            self.refuse(
                _("%(start)s (%(first)s) is not before %(end)s (%(second)s)."),
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
                first=columns[0],
                second=columns[1],
            )


def parse(
    kind: str,
    data: bytes,
    *,
    name: str = "",
    inside: Callable[[float, float], bool] = municipality.contains,
) -> Parsed:
    """Read a file of ``kind`` (bins, devices or vehicles) into records and refusals.

    ``name`` (the file name) tells GeoJSON from CSV; without a telling suffix, a
    file whose first character is ``{`` is read as GeoJSON. ``inside`` decides
    whether a bin's place lies in the municipality. Raises ``FileRefused``.
    """
    text = decode(data)
    geojson = name.lower().endswith((".geojson", ".json")) or (
        not name.lower().endswith((".csv", ".txt")) and text.lstrip().startswith("{")
    )
    rows = geojson_rows(text, kind) if geojson else csv_rows(text, kind)
    unit = "feature" if geojson else "line"
    read = {"bins": _bin, "devices": _device, "vehicles": _vehicle}[kind]
    parsed = Parsed()
    seen: dict[str, int] = {}
    for number, cells in rows:
        row = Row(cells, required=REQUIRED[kind])
        record = read(row, number=number, unit=unit, inside=inside)
        key = record.code if hasattr(record, "code") else record.identifier
        if key and key in seen:
            if unit == "feature":
                message = _("%(key)s appears already in feature %(first)d.")
            else:
                message = _("%(key)s appears already on line %(first)d.")
            row.refuse(message, key=key, first=seen[key])
        elif key:
            seen[key] = number
        if row.problems:
            parsed.refused.append(Refusal(number, tuple(row.problems), unit))
        else:
            parsed.records.append(record)
    return parsed


def decode(data: bytes) -> str:
    try:
        # utf-8-sig drops the byte order mark that Excel writes.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not UTF-8. In Excel, save it as “CSV UTF-8 (comma "
                "delimited)”."
            )
        ) from None


def _check_columns(kind: str, columns: list[str]) -> None:
    unknown = [column for column in columns if column not in COLUMNS[kind]]
    if unknown:
        raise FileRefused(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(COLUMNS[kind])}
        )
    missing = [column for column in REQUIRED[kind] if column not in columns]
    if missing:
        raise FileRefused(
            _("Missing columns: %(missing)s.") % {"missing": ", ".join(missing)}
        )


def csv_rows(text: str, kind: str) -> Iterator[tuple[int, dict]]:
    """Yield (line number, cells) of a CSV file delimited by , or ;."""
    header = text.split("\n", 1)[0]
    # Swedish and Danish Excel exports use ; because , is the decimal sign.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [column.strip().lower() for column in next(reader, [])]
    if not any(columns):
        raise FileRefused(_("The file is empty."))
    _check_columns(kind, columns)
    return _csv_cells(reader, columns)


def _csv_cells(reader, columns) -> Iterator[tuple[int, dict]]:
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        cells = dict(zip(columns, values, strict=False))
        if len(values) > len(columns):
            cells["_extra"] = ""
        yield reader.line_num, cells


def geojson_rows(text: str, kind: str) -> list[tuple[int, dict]]:
    """Return (feature number, properties) of a GeoJSON FeatureCollection.

    A Point geometry gives a bin's latitude and longitude; a bin without one
    carries the problem under the key ``_geometry``.
    """
    try:
        data = json.loads(text)
    except ValueError as error:
        raise FileRefused(
            _("The file is not valid JSON: %(error)s.") % {"error": error}
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FileRefused(_("The file is not a GeoJSON FeatureCollection."))
    rows = []
    columns: set[str] = set()
    for number, feature in enumerate(data.get("features") or [], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        cells = {
            str(key).lower(): "" if value is None else str(value)
            for key, value in (properties or {}).items()
        }
        cells.pop("latitude", None)
        cells.pop("longitude", None)
        columns.update(cells)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if kind == "bins":
            point = _point(geometry)
            if point is None:
                cells["_geometry"] = _(
                    "The geometry is not a Point with longitude and latitude."
                )
            else:
                cells["longitude"], cells["latitude"] = point
        rows.append((number, cells))
    _check_columns(
        kind, sorted(columns | ({"latitude", "longitude"} if kind == "bins" else set()))
    )
    return rows


def _point(geometry) -> tuple[str, str] | None:
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return None
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None
    return str(coordinates[0]), str(coordinates[1])


def normalise_identifier(value: str) -> str:
    """A DevEUI as 16 upper-case hex digits; any other identifier as written."""
    value = value.strip()
    if DEV_EUI.match(value):
        return re.sub(r"[-: ]", "", value).upper()
    return value


def _extra(row: Row) -> None:
    if "_extra" in row.cells:
        row.refuse(_("The row has more cells than the header has columns."))


def _bin(row: Row, *, number, unit, inside) -> BinRecord:
    _extra(row)
    if "_geometry" in row.cells:
        row.refuse(row.cells["_geometry"])
        latitude = longitude = None
    else:
        latitude = row.number("latitude", cast=float, low=-90, high=90)
        longitude = row.number("longitude", cast=float, low=-180, high=180)
    if (
        not row.problems
        and latitude is not None
        and longitude is not None
        and not inside(latitude, longitude)
    ):
        row.refuse(
            _("%(latitude)s, %(longitude)s is outside %(municipality)s."),
            latitude=latitude,
            longitude=longitude,
            municipality=settings.MUNICIPALITY_NAME,
        )
    fraction = row.text("fraction").lower() or Fraction.RESIDUAL
    if fraction not in Fraction.values:
        row.refuse(
            _("“%(value)s” in fraction is not one of %(choices)s."),
            value=fraction,
            choices=", ".join(Fraction.values),
        )
    start = row.time("window_start", DEFAULT_WINDOW[0])
    end = row.time("window_end", DEFAULT_WINDOW[1])
    row.span(start, end, ("window_start", "window_end"))
    round_day = row.cells.get("round_day", "")
    return BinRecord(
        row=number,
        unit=unit,
        code=row.code("code"),
        name=row.text("name"),
        latitude=latitude,
        longitude=longitude,
        fraction=fraction,
        volume_litres=row.number("volume_litres", cast=int, low=1),
        threshold_percent=row.number(
            "threshold_percent", cast=int, low=1, high=100, default=DEFAULT_THRESHOLD
        ),
        area=row.text("area"),
        depot=row.code("depot", required=False),
        window_weekdays=row.weekdays("window_days"),
        window_start=start,
        window_end=end,
        round_weekday=row.weekday(round_day, "round_day") if round_day else None,
        active=row.flag("active"),
    )


def _device(row: Row, *, number, unit, inside) -> DeviceRecord:
    _extra(row)
    empty = row.number("empty_distance_mm", cast=int, low=1)
    full = row.number("full_distance_mm", cast=int, low=0)
    if (empty is None) != (full is None):
        row.refuse(_("Give both empty_distance_mm and full_distance_mm, or neither."))
    elif empty is not None and full is not None and full >= empty:
        row.refuse(
            _(
                "full_distance_mm (%(full)d) must be less than empty_distance_mm "
                "(%(empty)d): the sensor is closer to the waste when the bin is full."
            ),
            full=full,
            empty=empty,
        )
    return DeviceRecord(
        row=number,
        unit=unit,
        identifier=normalise_identifier(row.text("identifier", required=True)),
        bin=row.code("bin", required=False),
        empty_distance_mm=empty,
        full_distance_mm=full,
    )


def _vehicle(row: Row, *, number, unit, inside) -> VehicleRecord:
    _extra(row)
    start = row.time("shift_start", DEFAULT_WINDOW[0])
    end = row.time("shift_end", DEFAULT_WINDOW[1])
    row.span(start, end, ("shift_start", "shift_end"))
    fractions = [
        part.strip().lower()
        for part in re.split(r"[,;/ ]+", row.cells.get("fractions", ""))
        if part.strip()
    ]
    for fraction in fractions:
        if fraction not in Fraction.values:
            row.refuse(
                _("“%(value)s” in fractions is not one of %(choices)s."),
                value=fraction,
                choices=", ".join(Fraction.values),
            )
    code = row.code("code")
    return VehicleRecord(
        row=number,
        unit=unit,
        code=code,
        name=row.text("name") or code,
        depot=row.code("depot"),
        capacity_litres=row.number("capacity_litres", cast=int, low=1),
        capacity_kg=row.number("capacity_kg", cast=int, low=1),
        shift_start=start,
        shift_end=end,
        fractions=[value for value in Fraction.values if value in fractions]
        or list(Fraction.values),
    )
