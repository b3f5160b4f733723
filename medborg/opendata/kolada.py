"""Write and read figures in the shape of Kolada's rows, to compare municipalities.

Pure: no ORM, no requests. Kolada (the Swedish municipalities' key figures)
keys a value by KPI, municipality, period and gender; the same shape lets one
Medborg read another's /open-data/kolada.csv, or a file an operator uploads.
Our ids carry the prefix "medborg." so they never pass for Kolada's own
N- and U-ids.
"""

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from medborg.opendata.indicators import Scope
from medborg.opendata.tables import Figure, csv_rows, value_text

EXPORT_COLUMNS = (
    "kpi",
    "municipality_id",
    "period",
    "gender",
    "value",
    "count",
    "status",
)
REQUIRED_COLUMNS = ("kpi", "municipality_id", "period", "value")
PREFIX = "medborg."
# Kolada's gender for "all": figures here never split by gender.
TOTAL = "T"
SUPPRESSED = "suppressed"
MAX_ROWS = 200_000

PERIOD = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?")
MUNICIPALITY = re.compile(r"[0-9]{3,4}")
COUNT = re.compile(r"[0-9]+")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class KoladaFormatError(ValueError):
    """A file that is not Kolada-shaped, naming the line and what to fix."""

    def __init__(self, line: int | None, problem: str):
        self.line = line
        self.problem = problem
        super().__init__(f"Line {line}: {problem}" if line else problem)


@dataclass(frozen=True)
class PeerRow:
    """One figure read from a Kolada-shaped file."""

    municipality_id: str
    # Without the "medborg." prefix; not checked against ``BY_ID``, as a
    # newer peer may publish indicators this one does not know.
    indicator: str
    period: str
    value: float | None
    count: int | None


def _export_row(figure: Figure, municipality_code: str) -> tuple[str, ...]:
    return (
        PREFIX + figure.indicator,
        municipality_code,
        figure.period,
        TOTAL,
        value_text(figure.value),
        "" if figure.count is None else str(figure.count),
        SUPPRESSED if figure.suppressed else "",
    )


def export_lines(figures: Iterable[Figure], *, municipality_code: str) -> Iterator[str]:
    """Yield kolada.csv, the header then a line per municipality-wide figure.

    The columns are ``EXPORT_COLUMNS``; ``municipality_code`` fills
    municipality_id (SCB's 4 digits in Sweden, 3 in Denmark). Lazy and in
    constant memory, like ``tables.csv_lines``; figures of other scopes are
    skipped. Suppressed figures keep their row, with value and
    count empty and status "suppressed".
    """
    rows = (
        _export_row(figure, municipality_code)
        for figure in figures
        if figure.scope == Scope.MUNICIPALITY
    )
    yield from csv_rows([EXPORT_COLUMNS])
    yield from csv_rows(rows)


def _delimiter(text: str) -> str:
    # Spreadsheets set to Swedish or Danish save CSV with semicolons.
    header = text.partition("\n")[0]
    for candidate in (";", "\t"):
        if candidate in header and "," not in header:
            return candidate
    return ","


def _header(reader) -> list[str]:
    for fields in reader:
        if any(field.strip() for field in fields):
            break
    else:
        raise KoladaFormatError(None, "the file is empty")
    names = [field.strip().lower() for field in fields]
    line = reader.line_num
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise KoladaFormatError(
            line,
            f"missing column: {', '.join(missing)} (needed: "
            f"{', '.join(REQUIRED_COLUMNS)}; optional: gender, count, status)",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise KoladaFormatError(line, f"repeated column: {', '.join(repeated)}")
    return names


def _text(cells: dict, name: str, pattern: re.Pattern, line: int, expected: str) -> str:
    text = cells.get(name, "")
    if not pattern.fullmatch(text):
        raise KoladaFormatError(line, f"{name} {text!r} is not {expected}")
    return text


def _value(cells: dict, line: int, decimal_comma: bool) -> float | None:
    text = cells["value"]
    number = text.replace(",", ".", 1) if decimal_comma else text
    if not number:
        return None
    if not NUMBER.fullmatch(number) or not math.isfinite(float(number)):
        raise KoladaFormatError(line, f"value {text!r} is not a number like 12.5")
    return float(number)


def _count(cells: dict, line: int) -> int | None:
    if not cells.get("count"):
        return None
    return int(_text(cells, "count", COUNT, line, "a whole number of 0 or more"))


def _record(
    fields: list[str], names: list[str], line: int, decimal_comma: bool
) -> PeerRow | None:
    if len(fields) != len(names):
        raise KoladaFormatError(
            line, f"{len(fields)} fields where the header has {len(names)}"
        )
    cells = {name: field.strip() for name, field in zip(names, fields, strict=True)}
    if cells.get("gender", "").upper() not in ("", TOTAL):
        return None
    indicator = cells["kpi"].removeprefix(PREFIX)
    if not indicator:
        raise KoladaFormatError(line, "kpi is empty")
    # A figure the publisher withholds stays withheld, whatever else the row says.
    hidden = cells.get("status", "").lower() == SUPPRESSED
    return PeerRow(
        municipality_id=_text(
            cells, "municipality_id", MUNICIPALITY, line, "a 3- or 4-digit code"
        ),
        indicator=indicator,
        period=_text(cells, "period", PERIOD, line, "YYYY, YYYY-MM or YYYY-Qn"),
        value=None if hidden else _value(cells, line, decimal_comma),
        count=None if hidden else _count(cells, line),
    )


def _rows(reader, names: list[str], decimal_comma: bool) -> list[PeerRow]:
    rows: list[PeerRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    records = 0
    for fields in reader:
        if not any(field.strip() for field in fields):
            continue
        records += 1
        line = reader.line_num
        if records > MAX_ROWS:
            raise KoladaFormatError(line, f"more than {MAX_ROWS} rows; split the file")
        row = _record(fields, names, line, decimal_comma)
        if row is None:
            continue
        key = (row.municipality_id, row.indicator, row.period)
        if key in seen:
            raise KoladaFormatError(
                line, f"repeats the municipality_id, kpi and period of line {seen[key]}"
            )
        seen[key] = line
        rows.append(row)
    return rows


def parse(text: str) -> list[PeerRow]:
    """Read a Kolada-shaped CSV file, such as another Medborg's kolada.csv.

    Columns are found by name in the header (kpi, municipality_id, period,
    value required; gender, count, status optional; others ignored), with
    comma, semicolon or tab as separator; after semicolons or tabs a decimal
    comma is read too. kpi may carry the "medborg." prefix or not. Rows whose
    gender is neither "T" nor empty are skipped; a row with status
    "suppressed" gives no value and no count. Blank lines are ignored.

    Raises KoladaFormatError, naming the line and what is wrong: a missing
    or repeated column, a row with too few or too many fields, a bad
    municipality_id, period ("YYYY", "YYYY-MM" or "YYYY-Qn"), value or count,
    a repeated row, or more than ``MAX_ROWS`` rows.
    """
    text = text.removeprefix("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        names = _header(reader)
        return _rows(reader, names, decimal_comma=delimiter != ",")
    except csv.Error as error:
        raise KoladaFormatError(
            reader.line_num, f"not readable as CSV ({error})"
        ) from error
