"""Write the published figures as CSV and JSON, one line or figure at a time.

Pure: no ORM, no requests. Callers pass ``Figure`` rows (already suppressed
where the counts are small) and get an iterator of text chunks, ready for
``StreamingHttpResponse``; memory stays constant however many figures there
are. The column names are those of the data package's table schema
(``datapackage.py``), which documents each of them.
"""

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from medborg.opendata.indicators import BY_ID, INDICATORS, Indicator


@dataclass(frozen=True)
class Figure:
    """One published figure: an indicator's value for one scope and period."""

    indicator: str
    granularity: str
    # "2026-11" for a month, "2026-Q4" for a quarter.
    period: str
    period_start: date
    scope: str
    # The service's code, the category's key or the area's key; "" for the
    # whole municipality.
    scope_key: str
    scope_name: str
    value: float | None
    count: int | None
    suppressed: bool

    def __post_init__(self):
        # A suppressed figure must not leak what it hides through any format.
        if self.suppressed and (self.value is not None or self.count is not None):
            raise ValueError(
                f"suppressed figure {self.indicator} {self.period} "
                f"{self.scope}:{self.scope_key} carries a value or a count"
            )


COLUMNS = (
    "indicator",
    "granularity",
    "period",
    "period_start",
    "scope",
    "scope_key",
    "scope_name",
    "value",
    "unit",
    "count",
    "suppressed",
)

DEFINITION_COLUMNS = ("id", "group", "title", "unit", "definition", "about_people")

# Enough for percentages and fractional days; more digits would be noise.
DECIMALS = 4


def _check_finite(value: float):
    if not math.isfinite(value):
        raise ValueError(f"figure value {value!r} is not a finite number")


def value_text(value: float | None) -> str:
    """Return ``value`` with at most four decimals and no trailing zeros.

    ``None`` gives "" (the data package's missing value). Raises ValueError
    for NaN and infinities, which neither CSV readers nor JSON agree on.
    """
    if value is None:
        return ""
    _check_finite(value)
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    # A tiny negative value rounds to "-0", which reads as a different number.
    return "0" if text == "-0" else text


def boolean_text(flag: bool) -> str:
    """Return "true" or "false", the data package's boolean values."""
    return "true" if flag else "false"


def csv_rows(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Yield each row as one RFC 4180 line ending in CRLF.

    One small buffer is reused, so a long iterable streams in constant memory.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _figure_row(figure: Figure) -> tuple[str, ...]:
    return (
        figure.indicator,
        figure.granularity,
        figure.period,
        figure.period_start.isoformat(),
        figure.scope,
        figure.scope_key,
        figure.scope_name,
        value_text(figure.value),
        BY_ID[figure.indicator].unit.value,
        "" if figure.count is None else str(figure.count),
        boolean_text(figure.suppressed),
    )


def csv_lines(figures: Iterable[Figure]) -> Iterator[str]:
    """Yield the header line of ``COLUMNS``, then one CSV line per figure.

    Lazy: ``figures`` is consumed as the lines are. Raises KeyError for an
    indicator not in ``BY_ID`` and ValueError for a non-finite value.
    """
    yield from csv_rows([COLUMNS])
    yield from csv_rows(_figure_row(figure) for figure in figures)


def _json_value(value: float | None) -> float | int | None:
    if value is None:
        return None
    _check_finite(value)
    rounded = round(value, DECIMALS)
    # 12 rather than 12.0, like the CSV's "12".
    return int(rounded) if rounded.is_integer() else rounded


def _figure_object(figure: Figure) -> dict:
    return {
        "indicator": figure.indicator,
        "granularity": figure.granularity,
        "period": figure.period,
        "period_start": figure.period_start.isoformat(),
        "scope": figure.scope,
        "scope_key": figure.scope_key,
        "scope_name": figure.scope_name,
        "value": _json_value(figure.value),
        "unit": BY_ID[figure.indicator].unit.value,
        "count": figure.count,
        "suppressed": figure.suppressed,
    }


def json_chunks(figures: Iterable[Figure], *, meta: dict) -> Iterator[str]:
    """Yield ``{"meta": meta, "figures": [...]}`` as JSON, one figure a chunk.

    The chunks joined are one valid JSON document, also without figures.
    ``meta`` may hold dates, datetimes, decimals and lazy translations
    (``DjangoJSONEncoder``). Each figure object has the keys of ``COLUMNS``;
    numbers are numbers, missing ones null. Raises like ``csv_lines``.
    """
    encoder = DjangoJSONEncoder(ensure_ascii=False, allow_nan=False)
    yield '{"meta": ' + encoder.encode(meta) + ', "figures": ['
    separator = ""
    for figure in figures:
        yield separator + encoder.encode(_figure_object(figure))
        separator = ", "
    yield "]}\n"


def _definition_row(indicator: Indicator, language: str | None) -> tuple[str, ...]:
    # Translated row by row, so the language never stays active between the
    # chunks of a streamed response.
    with translation.override(language) if language else nullcontext():
        title, definition = str(indicator.title), str(indicator.definition)
    return (
        indicator.id,
        indicator.group,
        title,
        indicator.unit.value,
        definition,
        boolean_text(indicator.about_people),
    )


def definitions_lines(
    indicators: Iterable[Indicator] = INDICATORS, *, language: str | None = None
) -> Iterator[str]:
    """Yield definitions.csv, the header then a line per indicator.

    The columns are ``DEFINITION_COLUMNS``. Titles and definitions are in
    ``language`` ("sv", "da", "en") when given, otherwise in the language
    active as each line is generated. ``group`` and ``unit`` are the stable
    keys, not their labels.
    """
    yield from csv_rows([DEFINITION_COLUMNS])
    yield from csv_rows(_definition_row(item, language) for item in indicators)
